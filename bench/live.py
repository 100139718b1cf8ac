"""Live checks side by side against the same local emulator (moto on 127.0.0.1).

    python3 bench/live.py [--bin PATH] [--sizes 200,2000] [--cli-sample 1.0,0.1] [--load]

Sets up its own venv (.venv-bench: awscli and moto, pinned), starts moto on a free loopback
port, seeds images in two regions, security groups, subnets and SSM parameters, then for each
size N (N variables: N/4 AMIs, N/4 security groups (half by id, half by name), N/4 subnets and
N/4 SSM references, with us-west-2 as failover region) measures:
  - `preflight check` (release build): wall time and the API calls moto recorded;
  - a shell script doing the same checks with the aws CLI, one call per resource as such
    scripts do. For large N the script runs on a sample (--cli-sample) and its time is
    extrapolated per call; the output says so.
With --load it also runs the load case: 10,000 variables across 5 regions (a primary and four
failover regions), reporting the verdict, wall time and peak RSS.
Never contacts a real cloud. Not a test: numbers go in docs/performance.md.
"""
import argparse, json, os, pathlib, random, resource, shutil, socket, subprocess, sys, tempfile, time, urllib.request

root = pathlib.Path(__file__).resolve().parent.parent
ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=str(root / "target/release/preflight"))
ap.add_argument("--sizes", default="200,2000")
ap.add_argument("--cli-sample", default="1.0,0.1")
ap.add_argument("--load", action="store_true")
a = ap.parse_args()

venv = root / ".venv-bench"
if not (venv / "bin/aws").exists():
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin/pip"), "install", "-q", "awscli==1.46.3", "moto[ec2,ssm]==5.2.5", "flask==3.1.3", "flask-cors==6.0.5"], check=True)
if str(venv) not in sys.prefix:
    os.execv(str(venv / "bin/python"), [str(venv / "bin/python"), *sys.argv])
import boto3  # noqa: E402  (from the bench venv)

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
endpoint = f"http://127.0.0.1:{port}"
motodir = tempfile.mkdtemp(prefix="preflight-bench-moto-")
log = open(os.path.join(motodir, "moto.log"), "w")
# moto's request recorder writes `moto_recording` in its working directory: keep it out of the repo.
moto = subprocess.Popen([str(venv / "bin/moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log,
                        cwd=motodir, env={**os.environ, "MOTO_RECORDER_FILEPATH": os.path.join(motodir, "moto_recording")})
env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
       "AWS_EC2_METADATA_DISABLED": "true", "NO_COLOR": "1", "AWS_PAGER": ""}
env.pop("AWS_PROFILE", None)
try:
    for _ in range(300):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/"); break
        except Exception:
            time.sleep(0.1)

    def post(path):
        urllib.request.urlopen(urllib.request.Request(endpoint + path, method="POST")).read()

    def recorded():
        post("/moto-api/recorder/stop-recording")
        text = urllib.request.urlopen(endpoint + "/moto-api/recorder/download-recording").read().decode()
        # moto appends one JSON object per request; concurrent requests can share a line, so
        # decode object after object rather than line by line.
        dec, i, n = json.JSONDecoder(), 0, 0
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                return n
            obj, i = dec.raw_decode(text, i)
            n += "/moto-api/" not in obj.get("url", "")

    def client(kind, region):
        return boto3.client(kind, region_name=region, endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench")

    def seed(n_each, regions, tag):
        prim, fails = regions[0], regions[1:]
        ec2 = client("ec2", prim); ssm = client("ssm", prim)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        images, groups, subnets, params = [], [], [], []
        for i in range(n_each):
            name = f"{tag}-app-{i}"
            iid = ec2.register_image(Name=name, RootDeviceName="/dev/xvda")["ImageId"]
            for r in fails:
                client("ec2", r).copy_image(SourceRegion=prim, SourceImageId=iid, Name=name)
            images.append((iid, name))
            gname = f"{tag}-web-{i}"
            groups.append((ec2.create_security_group(GroupName=gname, Description="b", VpcId=vpc)["GroupId"], gname))
            subnets.append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i % 256}.{(i // 256) * 16}/28")["Subnet"]["SubnetId"])
            pname = f"/bench/{tag}/p{i}"
            ssm.put_parameter(Name=pname, Value=f"v{i}", Type="String", Overwrite=True)
            params.append(pname)
        return images, groups, subnets, params

    def repo(images, groups, subnets, params, regions, copies=1):
        d = pathlib.Path(tempfile.mkdtemp(prefix="preflight-bench-live-"))
        props, lines = {}, []
        for c in range(copies):
            for i in range(len(images)):
                k = f"{c}_{i}"
                props[f"AMI_{k}"] = {"type": "string", "x-aws": "ec2:image"}
                props[f"SG_{k}"] = {"type": "string", "x-aws": "ec2:security-group"}
                props[f"SUBNET_{k}"] = {"type": "string", "x-aws": "ec2:subnet"}
                props[f"P_{k}"] = {"type": "string"}
                sg = groups[i][0] if i % 2 == 0 else groups[i][1]
                lines += [f"AMI_{k}={images[i][0]}", f"SG_{k}={sg}", f"SUBNET_{k}={subnets[i]}", f"P_{k}={{{{resolve:ssm:{params[i]}}}}}"]
        (d / "env.schema.json").write_text(json.dumps({"type": "object", "properties": props}))
        (d / "prod.env").write_text("\n".join(lines) + "\n")
        fail = ", ".join(f'"{r}"' for r in regions[1:])
        (d / "preflight.toml").write_text(f'schema = "env.schema.json"\n[environments.prod]\nregion = "{regions[0]}"\n'
                                          f'failover_regions = [{fail}]\nsource = {{ dotenv = "prod.env" }}\n')
        return d

    def run_preflight(d):
        post("/moto-api/recorder/reset-recording"); post("/moto-api/recorder/start-recording")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        p = subprocess.run([a.bin, "check", "--format", "json", "--timeout", "300s"], cwd=d, env=env, capture_output=True)
        dt = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rep = json.loads(p.stdout)
        rules = sorted({f["rule"] for f in rep["findings"]})
        return dt, recorded(), p.returncode, rep["verdict"], rules, rss

    def cli_script(images, groups, subnets, params, regions, fraction):
        n = max(1, int(len(images) * fraction))
        prim, fail = regions[0], regions[1]
        cmds = []
        for i in range(n):
            cmds.append(f"aws ec2 describe-images --region {prim} --image-ids {images[i][0]} --query 'Images[0].Name' --output text")
            cmds.append(f"aws ec2 describe-images --region {fail} --filters Name=name,Values={images[i][1]} --query 'Images[0].ImageId' --output text")
            if i % 2 == 0:
                cmds.append(f"aws ec2 describe-security-groups --region {prim} --group-ids {groups[i][0]} --output text > /dev/null")
            else:
                cmds.append(f"aws ec2 describe-security-groups --region {prim} --filters Name=group-name,Values={groups[i][1]} --output text > /dev/null")
            cmds.append(f"aws ec2 describe-subnets --region {prim} --subnet-ids {subnets[i]} --output text > /dev/null")
            cmds.append(f"aws ssm get-parameter --region {prim} --name {params[i]} --output text > /dev/null")
        script = "set -e\nexport PATH=" + str(venv / "bin") + ":$PATH\n" + "\n".join(c + " > /dev/null" for c in cmds) + "\n"
        post("/moto-api/recorder/reset-recording"); post("/moto-api/recorder/start-recording")
        t = time.perf_counter()
        # A file, not `bash -c`: 2,500 commands exceed the kernel's limit for one argument.
        with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
            f.write(script)
        subprocess.run(["bash", f.name], env=env, check=True, capture_output=True)
        os.unlink(f.name)
        dt = time.perf_counter() - t
        return dt, recorded(), len(cmds), n

    sizes = [int(x) for x in a.sizes.split(",")]
    fractions = [float(x) for x in a.cli_sample.split(",")]
    regions = ["us-east-1", "us-west-2"]
    # Warm moto up (its first call per service and region loads data) before timing anything.
    seed(1, regions, "warm"); run_preflight(repo(*seed(1, regions, "warm2"), regions))
    for size, frac in zip(sizes, fractions + [fractions[-1]] * len(sizes)):
        post("/moto-api/reset")
        seed(1, regions, "warm")
        each = size // 4
        data = seed(each, regions, f"n{size}")
        d = repo(*data, regions)
        dt, calls, code, verdict, rules, _ = run_preflight(d)
        cdt, ccalls, ncmds, sampled = cli_script(*data, regions, frac)
        scale = each / sampled
        est = cdt * scale
        note = "" if sampled == each else f" (ran {ncmds} of {int(ncmds * scale)} calls, {frac:.0%} sample, time extrapolated)"
        print(f"{size} variables, 2 regions: preflight {dt*1000:.0f} ms, {calls} API calls (verdict {verdict}, {rules}); "
              f"aws CLI script {est:.1f} s, {int(ccalls * scale)} API calls{note}; ratio {est/dt:.0f}x")
    if a.load:
        post("/moto-api/reset")
        load_regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
        seed(1, load_regions, "warm")
        data = seed(500, load_regions, "load")
        d = repo(*data, load_regions, copies=5)  # 2,500 x 4 = 10,000 variables
        dt, calls, code, verdict, rules, rss = run_preflight(d)
        print(f"load: 10000 variables naming 500 images (x5 regions), 500 groups, 500 subnets, 500 parameters: "
              f"verdict {verdict} {rules}, {dt:.2f} s, {calls} API calls, peak RSS {rss/1024:.0f} MiB")
finally:
    moto.terminate(); moto.wait()

"""Seeds the local emulator with the demo's two worlds and renders the example's env files.

    demo-seed.py ENDPOINT REPO seed   # create staging (eu-west-1) and production (us-east-1)
    demo-seed.py ENDPOINT REPO fix    # what the help text said: copy the canary image and the
                                      # DB_HOST parameter to the failover region us-west-2, and
                                      # point the DNS failover at us-west-2's live load balancer

Runs with the test venv's python (boto3 comes with moto). Only ever talks to ENDPOINT, which
ci/demo starts on 127.0.0.1.
"""
import json
import pathlib
import sys

import boto3

endpoint, repo, action = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
state_file = repo / ".demo-state.json"


def client(service, region):
    return boto3.client(service, region_name=region, endpoint_url=endpoint,
                        aws_access_key_id="demo", aws_secret_access_key="demo")


def ec2(region):
    return client("ec2", region)


def param(region, name, value):
    client("ssm", region).put_parameter(Name=name, Value=value, Type="String", Overwrite=True)


def load_balancer(region, name, subnets):
    return client("elbv2", region).create_load_balancer(Name=name, Subnets=subnets.split(","))["LoadBalancers"][0]


def record(zone, name, target, failover=None):
    rrset = {"Name": name, "Type": "A",
             "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": target, "EvaluateTargetHealth": True}}
    if failover:
        rrset.update(SetIdentifier=failover.lower(), Failover=failover)
    client("route53", "us-east-1").change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": rrset}]})


def seed():
    s = {}
    # staging: eu-west-1, the old VPC layout
    eu = ec2("eu-west-1")
    vpc = eu.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    s["STAGING_SUBNETS"] = ",".join(
        eu.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"]["SubnetId"]
        for i, z in enumerate("ab", 1))
    s["STAGING_SG"] = eu.create_security_group(GroupName="web-staging", Description="web", VpcId=vpc)["GroupId"]
    s["STAGING_AMI"] = eu.register_image(Name="shop-web-1.4", RootDeviceName="/dev/xvda")["ImageId"]
    s["STAGING_AMI_NEW"] = eu.register_image(Name="shop-web-1.5", RootDeviceName="/dev/xvda")["ImageId"]
    param("eu-west-1", "/shop/staging/db_host", "db.staging.internal")

    # production: us-east-1, a new VPC; the old VPC still holds the staging-named group
    us = ec2("us-east-1")
    new_vpc = us.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    old_vpc = us.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    s["PROD_SUBNETS"] = ",".join(
        us.create_subnet(VpcId=new_vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
        for i, z in enumerate("ab", 1))
    s["PROD_SG"] = us.create_security_group(GroupName="web-prod", Description="web", VpcId=new_vpc)["GroupId"]
    us.create_security_group(GroupName="web-staging", Description="web (old VPC)", VpcId=old_vpc)
    s["PROD_AMI"] = us.register_image(Name="shop-web-1.4", RootDeviceName="/dev/xvda")["ImageId"]
    s["PROD_AMI_NEW"] = us.register_image(Name="shop-web-1.5", RootDeviceName="/dev/xvda")["ImageId"]
    # the parameter exists in the main region only: parameters are regional
    param("us-east-1", "/shop/prod/db_host", "db.prod.internal")
    # failover: us-west-2 has 1.4 (copied), not yet 1.5
    ec2("us-west-2").copy_image(SourceRegion="us-east-1", SourceImageId=s["PROD_AMI"], Name="shop-web-1.4")
    # traffic: the zone, staging's load balancer, production's in us-east-1 and us-west-2. The
    # failover record's SECONDARY still points at the us-west-2 balancer deleted last month.
    s["ZONE"] = client("route53", "us-east-1").create_hosted_zone(Name="shop.example.com", CallerReference="demo")["HostedZone"]["Id"]
    staging_lb = load_balancer("eu-west-1", "web-staging", s["STAGING_SUBNETS"])
    prod_lb = load_balancer("us-east-1", "web-prod", s["PROD_SUBNETS"])
    west = ec2("us-west-2")
    west_vpc = west.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    s["WEST_SUBNETS"] = ",".join(
        west.create_subnet(VpcId=west_vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-west-2{z}")["Subnet"]["SubnetId"]
        for i, z in enumerate("ab", 1))
    old_west = load_balancer("us-west-2", "web-prod-old", s["WEST_SUBNETS"])
    client("elbv2", "us-west-2").delete_load_balancer(LoadBalancerArn=old_west["LoadBalancerArn"])
    record(s["ZONE"], "www.staging.shop.example.com", staging_lb["DNSName"])
    record(s["ZONE"], "www.shop.example.com", prod_lb["DNSName"], "PRIMARY")
    record(s["ZONE"], "www.shop.example.com", "dualstack." + old_west["DNSName"], "SECONDARY")
    state_file.write_text(json.dumps(s))
    for tmpl in (repo / "deploy").glob("*.env.in"):
        text = tmpl.read_text()
        for k, v in s.items():
            text = text.replace(f"@{k}@", v)
        tmpl.with_suffix("").write_text(text)


def fix():
    s = json.loads(state_file.read_text())
    ec2("us-west-2").copy_image(SourceRegion="us-east-1", SourceImageId=s["PROD_AMI_NEW"], Name="shop-web-1.5")
    param("us-west-2", "/shop/prod/db_host", "db.prod.internal")
    live_west = load_balancer("us-west-2", "web-prod-west", s["WEST_SUBNETS"])
    record(s["ZONE"], "www.shop.example.com", "dualstack." + live_west["DNSName"], "SECONDARY")


{"seed": seed, "fix": fix}[action]()

//! Declares the rules of the `env` family (reading and validating the environment) with their `preflight explain` text.

use crate::rules::{Rule, Severity};

pub static ENV_SYNTAX: Rule = Rule {
    id: "env-syntax",
    family: crate::rules::Family::Env,
    severity: Severity::Error,
    summary: "A line of an env file cannot be parsed.",
    doc: r#"## What it does
Reads every `dotenv` source of the environment and reports each line that cannot be
parsed. Parsing follows python-dotenv: `KEY=VALUE`, an optional `export ` prefix, spaces
around `=`, `#` comment lines, single-quoted values (literal), double-quoted values (with
`\n`, `\t`, `\"` and `\\` escapes), and unquoted values where ` #` starts a comment and
trailing spaces are dropped. A quoted value may span several lines.

## Why is this bad?
A line that cannot be parsed is a variable the application does not get, or gets with a
different value than the one written. Other tools that read the same file may disagree on
what it means. A malformed env file is a problem with the environment, not with preflight,
so it blocks the rollout (exit 1) like any other finding.

## Example
```
# deploy/production.env
LAUNCH_AMI=ami-0abc1234def567890
APP_MOTD="Maintenance tonight
INSTANCE_TYPE=c7g.large
```
```
error[env-syntax]: unterminated double-quoted value (opened at line 2, column 10)
```

## How to fix
Correct the line at the reported position. Common causes:
- a missing closing quote: `APP_MOTD="Maintenance tonight"`;
- text after a closing quote: `KEY="a" b` (only spaces and a `# comment` may follow);
- a space inside a name: `INSTANCE TYPE=...` must be `INSTANCE_TYPE=...`.

## Notes
- `${VAR}` is not expanded: the value keeps the text as written, as python-dotenv does with
  `interpolate=False`.
- The line after a bad one is still read. A variable on a line that cannot be parsed is
  not set, so a required one is also reported as `env-missing`."#,
};

pub static ENV_MISSING: Rule = Rule {
    id: "env-missing",
    family: crate::rules::Family::Env,
    severity: Severity::Error,
    summary: "A variable listed in the schema's `required` is not set.",
    doc: r#"## What it does
Checks that every variable named in the schema's `required` list is set by the
environment's sources (after merging them: later sources override earlier ones). A
variable set to the empty string (`KEY=`) is set; its value is then validated like any
other.

## Why is this bad?
The application, launcher or autoscaler starts without a setting it needs. A variable that
was added for staging and forgotten in production is exactly how a rollout goes out
untested: staging had it, production does not.

## Example
```
# deploy/env.schema.json
"required": ["LAUNCH_AMI", "SECURITY_GROUPS", "SUBNET_IDS"]
```
```
# deploy/production.env
LAUNCH_AMI=ami-0abc1234def567890
SECURITY_GROUPS=sg-0a1b2c3d4e5f67890
```
```
error[env-missing]: SUBNET_IDS: required by the schema but not set
```

## How to fix
Set the variable in the environment's source:
- `dotenv`: add a line to the file, e.g. `SUBNET_IDS=subnet-0aaa1111bbbb2222c,subnet-0ddd3333eeee4444f`;
- `ssm_path`: create the parameter under the path (the variable name is the last segment):
  `aws ssm put-parameter --name /app/prod/SUBNET_IDS --type String --value '...' --region us-east-1`;
- `process`: export it in the process that runs preflight and the deploy.

If the variable is truly optional, remove it from `required` in the schema.

## Notes
A variable on a line that fails `env-syntax` counts as not set."#,
};

pub static ENV_UNKNOWN: Rule = Rule {
    id: "env-unknown",
    family: crate::rules::Family::Env,
    severity: Severity::Error,
    summary: "A variable is set that the schema does not allow.",
    doc: r#"## What it does
Reports every variable that is set by the environment's sources but not allowed by the
schema, which happens when the schema forbids unknown names with
`"additionalProperties": false`.

## Why is this bad?
Most unknown variables are misspellings. The application reads `LAUNCH_AMI`, the file sets
`LAUNCH_AMI_ID`: the intended value is silently ignored and the application falls back to
a default, or to nothing. Nothing else in the pipeline notices.

## Example
```
# deploy/env.schema.json
"properties": { "LAUNCH_AMI": { "type": "string", "x-aws": "ec2:image" } },
"additionalProperties": false
```
```
# deploy/production.env
LAUNCH_AMI_ID=ami-0abc1234def567890
```
```
error[env-unknown]: LAUNCH_AMI_ID: set, but the schema does not allow it
  --> deploy/production.env:1:1
```

## How to fix
- If it is a typo, rename the variable to the name in the schema.
- If it is a new setting, add it to the schema's `properties` (with `x-aws` if it names a
  cloud resource) in the same change that introduces it.
- If it is no longer used, delete it from the source.

## Notes
A `{ process = true }` source only contributes the variables the schema names, so the
rest of the process environment (`PATH`, `HOME`, ...) never causes this finding."#,
};

pub static ENV_TYPE: Rule = Rule {
    id: "env-type",
    family: crate::rules::Family::Env,
    severity: Severity::Error,
    summary: "A value cannot be converted to its property's type.",
    doc: r#"## What it does
Environment values are strings. Before validation, preflight converts each value by the
`type` of its property in the schema, and reports a value that cannot be converted:
- `integer`: a whole number, e.g. `3`;
- `number`: e.g. `0.5` or `3`;
- `boolean`: only `true`, `false`, `1` or `0`;
- `array`: a JSON array if the value starts with `[`, otherwise a comma-separated list
  with whitespace trimmed around each item;
- `object`: a JSON object.
A property with `"type": "string"` or no `type` is never converted.

## Why is this bad?
The application will fail to parse the value at start-up, or, worse, parse it differently
(`yes` read as false, `2x` read as 2). The rollout then fails on the new machines only.

## Example
```
# deploy/env.schema.json
"MIN_INSTANCES": { "type": "integer", "minimum": 2 }
```
```
# deploy/production.env
MIN_INSTANCES=two
```
```
error[env-type]: MIN_INSTANCES: "two" is not an integer
  --> deploy/production.env:1:15
```

## How to fix
Write the value in the form the type requires (`MIN_INSTANCES=2`, `ENABLE_X=true`,
`PORTS=[80, 443]` or `PORTS=80,443`). If the property's `type` is wrong, correct the schema.

## Notes
- The value of a secret (`"writeOnly": true`, or a name containing PASSWORD, SECRET, TOKEN,
  PRIVATE_KEY, API_KEY or CREDENTIAL) is never shown; the message names only the variable
  and the expected type.
- `{{resolve:ssm:NAME}}` references are resolved first; the converted value is the
  parameter's value."#,
};

pub static ENV_SCHEMA: Rule = Rule {
    id: "env-schema",
    family: crate::rules::Family::Env,
    severity: Severity::Error,
    summary: "A value violates the schema in any other way (pattern, enum, range, format, ...).",
    doc: r#"## What it does
Validates the environment, after SSM references are resolved and values are converted to
their types, against the JSON Schema named by `schema` in preflight.toml (draft 2020-12
unless the schema's `$schema` says otherwise). Every violation that is not a missing
variable (`env-missing`), an unknown one (`env-unknown`) or a failed conversion
(`env-type`) is reported here: `pattern`, `enum`, `const`, `minimum`/`maximum`,
`minLength`/`maxLength`, `format`, `minItems`, `uniqueItems`, and so on.

## Why is this bad?
The schema is where the team wrote down what a valid value looks like. A value outside it
is a value nobody expected, and a rollout with it is a rollout nobody tested.

## Example
```
# deploy/env.schema.json
"DEPLOY_COLOR": { "type": "string", "enum": ["blue", "green"] }
```
```
# deploy/production.env
DEPLOY_COLOR=gren
```
```
error[env-schema]: DEPLOY_COLOR: "gren" is not one of "blue" or "green"
  --> deploy/production.env:1:14
```

## How to fix
Change the value so it satisfies the keyword named in the message. If the constraint itself
is wrong (a new valid value, a range that has to grow), change the schema in the same
commit, so the change is reviewed.

## Notes
- A secret's value is never shown; the message names the variable and the keyword only.
- A `{{resolve:ssm-secure:NAME}}` value is never decrypted, so it is checked for presence
  only, not against `pattern`, `enum` or other value keywords.
- Whether a resource named by an `x-aws` value exists is not a schema question: see
  `ami-not-found`, `sg-not-found` and the other resource rules."#,
};

pub static ENV_DUPLICATE: Rule = Rule {
    id: "env-duplicate",
    family: crate::rules::Family::Env,
    severity: Severity::Warning,
    summary: "A variable is set twice in one source (warning).",
    doc: r#"## What it does
Warns when one source sets the same variable more than once. In an env file the last
value wins, as with python-dotenv. A variable set by two different sources of a list
(`source = [{ dotenv = ... }, { ssm_path = ... }]`) is an intended override and is not
reported.

## Why is this bad?
A reviewer reads the first value; the deploy uses the last. Duplicates usually come from
pasting a block from the staging file: the new line is added, the old one stays, and
production keeps a staging value that nobody sees in the diff.

## Example
```
# deploy/production.env
LAUNCH_AMI=ami-0abc1234def567890
INSTANCE_TYPE=c7g.large
LAUNCH_AMI=ami-0fed4321cba098765
```
```
warning[env-duplicate]: LAUNCH_AMI: set again; this value overrides the one on line 1
  --> deploy/production.env:3:1
```

## How to fix
Delete the line that should not be there, so that the file says one thing.

## Notes
- This is a warning: on its own it does not block the rollout (exit 0).
- With an `ssm_path` source, two parameters at different depths can end in the same name
  (`/app/prod/LAUNCH_AMI` and `/app/prod/compute/LAUNCH_AMI`); that is a duplicate too.
  Delete one of them: `aws ssm delete-parameter --name ... --region ...`."#,
};

pub static ENV_DIALECT: Rule = Rule {
    id: "env-dialect",
    family: crate::rules::Family::Env,
    severity: Severity::Warning,
    summary: "The value the deploy's consumer reads differs from what the other env-file dialect reads.",
    doc: r#"## What it does
Reads each value of a `dialect = "docker"` source (`docker run --env-file`, ECS
`environmentFiles`) as docker does, and also as python-dotenv would, and warns where the two
differ: quotes that docker keeps, an inline `# comment` that becomes part of the value,
trailing spaces, `${VAR}` that is not expanded, a backslash-n that stays two characters.

## Why is this bad?
docker takes the rest of the line literally. `API_URL="https://api.example.com"` reaches the
container as `"https://api.example.com"`, quotes included, while every local tool (and
preflight's default dialect) reads `https://api.example.com`. The app then fails to parse its
own URL in production only (amazon-ecs-agent#3429, docker/cli#3630).

## Example
```
# deploy/production.env, read with dialect = "docker"
API_URL="https://api.example.com"
```
```
warning[env-dialect]: API_URL: docker passes this value as written, quotes included: the app receives `"https://api.example.com"`, not `https://api.example.com`
  --> deploy/production.env:1:9
```

## How to fix
Write the value without quotes (`API_URL=https://api.example.com`): docker needs none, even
for spaces. If the quotes are meant, keep them and ignore the warning.

## Notes
- Values are what docker passes; the schema validates those, quotes included.
- Secret values are never quoted in the message."#,
};

pub static RULES: &[&Rule] = &[&ENV_SYNTAX, &ENV_MISSING, &ENV_UNKNOWN, &ENV_TYPE, &ENV_SCHEMA, &ENV_DUPLICATE, &ENV_DIALECT];

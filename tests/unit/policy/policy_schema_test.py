#!/usr/bin/env python3
"""schema/policy.schema.json accepts every document in tests/data/policies/valid and
refuses every one in tests/data/policies/invalid; reference_policy_test.cc holds
vtpmd's parser to the same files."""

import json
import pathlib
import sys

import jsonschema

root = pathlib.Path(sys.argv[1])
schema = json.loads((root / "schema" / "policy.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

failures = []
checked = 0
for expected_valid, folder in ((True, "valid"), (False, "invalid")):
    files = sorted((root / "tests" / "data" / "policies" / folder).glob("*.json"))
    if not files:
        failures.append(f"no documents in {folder}/")
    for path in files:
        errors = list(validator.iter_errors(json.loads(path.read_text())))
        checked += 1
        if expected_valid and errors:
            failures.append(f"{folder}/{path.name} refused: {errors[0].message}")
        if not expected_valid and not errors:
            failures.append(f"{folder}/{path.name} accepted")

for failure in failures:
    print(failure)
print(f"{checked} documents checked, {len(failures)} failures")
sys.exit(1 if failures else 0)

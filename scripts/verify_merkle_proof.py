#!/usr/bin/env python3
"""Checks a deep-quote inclusion proof independently of vtpmd (Python 3, stdlib only).

Recomputes the Merkle root of RFC 9162 section 2.1 (SHA-256; leaf hash
SHA-256(0x00 || leaf), interior node SHA-256(0x01 || left || right)) from a leaf,
its index, the tree size and the inclusion path, and compares it with the root the
platform quote qualified (its extraData; check the quote itself with tpm2_checkquote
-q ROOT_HEX).

Input, JSON on stdin or from the file named as the argument:

  {"leaf": hex, "leaf_index": n, "tree_size": n, "path": [hex, ...], "root": hex}

The proof fields may also sit under "inclusion_proof" (next to "leaf" and "root"),
and the whole object under "deep_quote", as vtpmd answers them.

--binding recomputes the leaf first from
  {"nonce": hex, "instance_id": "uuid", "ek_name": hex, "aik_name": hex,
   "guest_attest": hex (the marshalled TPMS_ATTEST)}
(top level or under "binding"); a "leaf" given as well must equal it.

Exit status: 0 if the proof holds, 1 (with a message on stderr) if it does not,
2 for unusable input.
"""

import argparse
import hashlib
import json
import re
import sys
import uuid

HASH_SIZE = 32
BIND_LABEL = b"vtpmd-bind"
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class InputError(Exception):
    pass


def leaf_hash(leaf):
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(leaf_index, tree_size, the_leaf_hash, path):
    """RFC 9162 section 2.1.3.2; returns the root, or None when the proof is malformed."""
    if leaf_index >= tree_size:
        return None
    fn = leaf_index
    sn = tree_size - 1
    r = the_leaf_hash
    for p in path:
        if len(p) != HASH_SIZE:
            return None
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def length_prefixed(field, what):
    if len(field) > 0xFFFF:
        raise InputError(f"{what} is longer than 65535 bytes")
    return len(field).to_bytes(2, "big") + field


def binding_leaf(binding):
    """SHA-256 of the encoding documented in policy/deep_quote_binding.h."""
    text = hex_field(binding, "instance_id", text=True)
    if not UUID_TEXT.fullmatch(text):
        raise InputError('"instance_id" is not a UUID (8-4-4-4-12 hex digits)')
    instance_id = uuid.UUID(text).bytes
    encoded = (BIND_LABEL
               + length_prefixed(hex_field(binding, "nonce"), "nonce")
               + length_prefixed(instance_id, "instance_id")
               + length_prefixed(hex_field(binding, "ek_name"), "ek_name")
               + length_prefixed(hex_field(binding, "aik_name"), "aik_name")
               + hashlib.sha256(hex_field(binding, "guest_attest")).digest())
    return hashlib.sha256(encoded).digest()


def hex_field(obj, key, text=False):
    if key not in obj:
        raise InputError(f'missing "{key}"')
    value = obj[key]
    if not isinstance(value, str):
        raise InputError(f'"{key}" must be a string')
    if text:
        return value
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise InputError(f'"{key}" is not hex') from None


def int_field(obj, key):
    if key not in obj:
        raise InputError(f'missing "{key}"')
    value = obj[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f'"{key}" must be a non-negative integer')
    return value


def check(document, use_binding):
    """Returns None if the proof holds, else the reason it does not."""
    if not isinstance(document, dict):
        raise InputError("expected a JSON object")
    if isinstance(document.get("deep_quote"), dict):
        document = document["deep_quote"]
    proof = document.get("inclusion_proof", document)
    if not isinstance(proof, dict):
        raise InputError('"inclusion_proof" must be an object')

    if use_binding:
        binding = document.get("binding", document)
        if not isinstance(binding, dict):
            raise InputError('"binding" must be an object')
        leaf = binding_leaf(binding)
        if "leaf" in document and hex_field(document, "leaf") != leaf:
            return "the leaf does not match the binding it should encode"
    else:
        leaf = hex_field(document, "leaf")

    leaf_index = int_field(proof, "leaf_index")
    tree_size = int_field(proof, "tree_size")
    if "path" not in proof or not isinstance(proof["path"], list):
        raise InputError('"path" must be a list of hex strings')
    path = [hex_field({"path": item}, "path") for item in proof["path"]]
    root = hex_field(document, "root")
    if len(root) != HASH_SIZE:
        return "the root is not 32 bytes"

    computed = root_from_inclusion_proof(leaf_index, tree_size, leaf_hash(leaf), path)
    if computed is None:
        return (f"malformed proof: leaf_index {leaf_index}, tree_size {tree_size}, "
                f"{len(path)} path elements")
    if computed != root:
        return f"root mismatch: the proof gives {computed.hex()}, expected {root.hex()}"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", help="JSON input (default: stdin)")
    parser.add_argument("--binding", action="store_true",
                        help="recompute the leaf from nonce, instance_id, ek_name, aik_name, guest_attest")
    args = parser.parse_args()
    try:
        if args.file:
            with open(args.file, encoding="utf-8") as f:
                document = json.load(f)
        else:
            document = json.load(sys.stdin)
        problem = check(document, args.binding)
    except (OSError, json.JSONDecodeError, InputError) as e:
        print(f"verify_merkle_proof: {e}", file=sys.stderr)
        return 2
    if problem is not None:
        print(f"verify_merkle_proof: FAILED: {problem}", file=sys.stderr)
        return 1
    print("verify_merkle_proof: OK: the leaf is in the tree whose root the platform quote qualifies")
    return 0


if __name__ == "__main__":
    sys.exit(main())

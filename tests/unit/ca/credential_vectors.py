#!/usr/bin/env python3
"""Known answers for tpm_kdf_test.cc and make_credential_test.cc, computed from the
formulas of TPM 2.0 Part 1 §11.4.10 (KDFa, KDFe) and §24 (credential protection)
independently of the C++ code. Prints the values the tests pin."""
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
try:
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:
    from cryptography.hazmat.primitives.ciphers.modes import CFB


def be32(n):
    return n.to_bytes(4, "big")


def finish(stream, bits):
    out = bytearray(stream[: (bits + 7) // 8])
    if bits % 8:
        out[0] &= (1 << (bits % 8)) - 1
    return bytes(out)


def kdfa(hash_name, key, label, context_u, context_v, bits):
    stream, counter = b"", 1
    while len(stream) * 8 < bits:
        message = be32(counter) + label + b"\0" + context_u + context_v + be32(bits)
        stream += hmac.new(key, message, hash_name).digest()
        counter += 1
    return finish(stream, bits)


def kdfe(hash_name, z, label, party_u, party_v, bits):
    stream, counter = b"", 1
    while len(stream) * 8 < bits:
        stream += hashlib.new(hash_name, be32(counter) + z + label + b"\0" + party_u + party_v).digest()
        counter += 1
    return finish(stream, bits)


def protect(hash_name, sym_bits, seed, name, credential):
    sym_key = kdfa(hash_name, seed, b"STORAGE", name, b"", sym_bits)
    plaintext = len(credential).to_bytes(2, "big") + credential
    encryptor = Cipher(algorithms.AES(sym_key), CFB(b"\0" * 16)).encryptor()
    enc_identity = encryptor.update(plaintext) + encryptor.finalize()
    digest_bits = hashlib.new(hash_name).digest_size * 8
    hmac_key = kdfa(hash_name, seed, b"INTEGRITY", b"", b"", digest_bits)
    integrity = hmac.new(hmac_key, enc_identity + name, hash_name).digest()
    return len(integrity).to_bytes(2, "big") + integrity + enc_identity


def pattern(n, start):
    return bytes((start + i) & 0xFF for i in range(n))


name256 = bytes.fromhex("000b") + pattern(32, 0x40)
name384 = bytes.fromhex("000c") + pattern(48, 0x50)
print("kdfa sha256 128  ", kdfa("sha256", pattern(32, 0), b"STORAGE", name256, b"", 128).hex())
print("kdfa sha256 300  ", kdfa("sha256", pattern(32, 0), b"INTEGRITY", pattern(5, 0xA0), pattern(7, 0xB0), 300).hex())
print("kdfa sha384 384  ", kdfa("sha384", pattern(48, 0x10), b"INTEGRITY", b"", b"", 384).hex())
print("kdfe sha256 256  ", kdfe("sha256", pattern(32, 0x20), b"IDENTITY", pattern(32, 0x60), pattern(32, 0x80), 256).hex())
print("kdfe sha384 1000 ", kdfe("sha384", pattern(48, 0x30), b"IDENTITY", pattern(48, 0x70), pattern(48, 0x90), 1000).hex())
print("protect sha256   ", protect("sha256", 128, pattern(32, 0xC0), name256, pattern(32, 0xE0)).hex())
print("protect sha384   ", protect("sha384", 256, pattern(48, 0xD0), name384, pattern(20, 0x01)).hex())

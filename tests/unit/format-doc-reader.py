#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""format-doc-reader - an independent kstate reader written from docs/format.md alone.

It shares no code with format/kstate_format.c: it exists to prove that docs/format.md
is enough to write a compatible reader.  It decodes every golden file in tests/data,
checks every CRC and the values the worked example (section 14) gives, reads the golden
store as section 12 describes, and checks that damaged copies are refused with the
error section 15 lists for them.

Usage: format-doc-reader.py DATA_DIR      (exit 0 pass, 1 fail, 77 skip)
"""
import os
import struct
import sys


class Refused(Exception):
    """A rejection; .errno is the errno name docs/format.md gives for it."""

    def __init__(self, errno, why):
        super().__init__(f"{errno}: {why}")
        self.errno = errno


# ---- section 2: CRC32C (Castagnoli, reflected 0x82F63B78, init and xorout ~0) ----
def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        t.append(c)
    return t


_T = _table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def u16(b, o):
    return struct.unpack_from("<H", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


# ---- section 3: names, section 5.1: kernel_release ----
NAME_CHARS = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def name_valid(s):
    return (1 <= len(s) <= 31 and all(c in NAME_CHARS for c in s)
            and s[0] not in b"_-")


def decode_name(field):
    n = field.find(b"\0")
    if n <= 0 or any(field[n:]) or not name_valid(field[:n]):
        raise Refused("EUCLEAN", "invalid name")
    return field[:n].decode()


def decode_release(field):
    n = field.find(b"\0")
    n = len(field) if n < 0 else n
    if any(c < 0x20 or c > 0x7E for c in field[:n]) or any(field[n:]):
        raise Refused("EUCLEAN", "kernel release is not printable NUL-padded text")
    return field[:n].decode()


# ---- section 4: the common prefix ----
def check_common(buf, magic, size, incompat_known=0):
    if len(buf) < 32:
        raise Refused("EOVERFLOW", "shorter than a header")
    if buf[0:8] != magic:
        raise Refused("EPROTO", "bad signature")
    if u16(buf, 8) != 1:
        raise Refused("EPROTO", "unsupported major version")
    if u32(buf, 12) != size:
        raise Refused("EPROTO", "unsupported header size")
    if len(buf) < size:
        raise Refused("EOVERFLOW", "truncated header")
    if crc32c(buf[:size - 4]) != u32(buf, size - 4):
        raise Refused("EBADMSG", "header checksum mismatch")
    # section 10: the only known incompat bit is the manifest's bit 0 (region CRCs)
    if u32(buf, 24) & ~incompat_known:
        raise Refused("EOPNOTSUPP", "unknown incompat feature")
    return {"minor": u16(buf, 10), "compat": u32(buf, 16), "ro_compat": u32(buf, 20),
            "incompat": u32(buf, 24), "flags": u32(buf, 28)}


# ---- section 7: store header ----
def decode_store_header(buf):
    h = check_common(buf, b"KSTATSTO", 128)
    if len(buf) > 128:
        raise Refused("EMSGSIZE", "bytes after the store header")
    if h["flags"]:
        raise Refused("EPROTO", "unknown store flags")
    if any(buf[64:124]):
        raise Refused("EPROTO", "reserved bytes are not zero")
    h.update(uuid=bytes(buf[32:48]), created=u64(buf, 48), last_sealed=u64(buf, 56),
             crc=u32(buf, 124))
    return h


# ---- section 6: manifests ----
def decode_manifest(buf):
    h = check_common(buf, b"KSTATMAN", 256, incompat_known=0x1)
    region_crc = h["incompat"] & 0x1
    if h["flags"]:
        raise Refused("EPROTO", "unknown manifest flags")
    if any(buf[176:252]):
        raise Refused("EPROTO", "reserved bytes are not zero")
    if u32(buf, 72) != 64:
        raise Refused("EPROTO", "unsupported entry size")
    gen, base = u64(buf, 32), u64(buf, 40)
    if gen == 0 or base >= gen:
        raise Refused("EUCLEAN", "generation is zero or not above its base")
    state, count = u32(buf, 64), u32(buf, 68)
    if state not in (1, 2):
        raise Refused("EPROTO", "unknown manifest state")
    if count > 65536:
        raise Refused("EOVERFLOW", "too many entries")
    release = decode_release(buf[112:176])
    size = 256 + 64 * count
    if size > len(buf):
        raise Refused("EOVERFLOW", "entries past the end of the file")
    if size < len(buf):
        raise Refused("EMSGSIZE", "bytes after the last entry")
    if crc32c(buf[256:size]) != u32(buf, 76):
        raise Refused("EBADMSG", "entries checksum mismatch")
    entries, prev = [], None
    for i in range(count):
        o = 256 + 64 * i
        name = decode_name(buf[o:o + 32])
        if u32(buf, o + 60):
            raise Refused("EPROTO", f"entry {i}: reserved field is not zero")
        e = {"name": name, "generation": u64(buf, o + 32), "size": u64(buf, o + 40),
             "crc": u32(buf, o + 48), "kind": u16(buf, o + 52), "flags": u16(buf, o + 54),
             "client_version": u32(buf, o + 56)}
        if e["kind"] not in (1, 2):
            raise Refused("EOPNOTSUPP", f"entry {i}: unknown kind")
        if e["flags"] & ~0x3:
            raise Refused("EPROTO", f"entry {i}: unknown flags")
        if e["flags"] & 0x2 and (e["kind"] != 2 or not region_crc):
            raise Refused("EPROTO", f"entry {i}: region CRC flag where it is not allowed")
        if not 1 <= e["generation"] <= gen:
            raise Refused("EUCLEAN", f"entry {i}: generation out of range")
        if e["kind"] == 1 and e["size"] < 256:
            raise Refused("EUCLEAN", f"entry {i}: record file smaller than its header")
        if e["kind"] == 2 and ((e["crc"] and not e["flags"] & 0x2) or e["client_version"]):
            raise Refused("EUCLEAN", f"entry {i}: region with a crc or client version")
        key = (e["kind"], name.encode())
        if prev is not None and key <= prev:
            raise Refused("EUCLEAN", f"entry {i}: out of order or duplicated")
        prev = key
        entries.append(e)
    h.update(generation=gen, base=base, created=u64(buf, 48), sealed_at=u64(buf, 56),
             state=state, entries=entries, uuid=bytes(buf[80:96]),
             boot_id=bytes(buf[96:112]), release=release, entries_crc=u32(buf, 76),
             crc=u32(buf, 252))
    return h


# ---- section 5: record files ----
def decode_records(buf):
    h = check_common(buf, b"KSTATREC", 256)
    if h["flags"] & ~0x1:
        raise Refused("EPROTO", "unknown file flags")
    if any(buf[192:252]):
        raise Refused("EPROTO", "reserved bytes are not zero")
    gen = u64(buf, 32)
    if gen == 0:
        raise Refused("EUCLEAN", "generation is zero")
    release = decode_release(buf[96:160])
    name = decode_name(buf[160:192])
    payload_length, count = u64(buf, 48), u32(buf, 56)
    if payload_length > len(buf) - 256:
        raise Refused("EOVERFLOW", "payload length past the end of the file")
    if 256 + payload_length != len(buf):
        raise Refused("EMSGSIZE", "bytes after the last record")
    records, pos, end = [], 256, len(buf)
    while pos < end:
        if len(records) == count:
            raise Refused("EUCLEAN", "more records than the header counts")
        if end - pos < 16:
            raise Refused("EOVERFLOW", "record header past the end")
        rtype, rflags, length, reserved, crc = struct.unpack_from("<HHIII", buf, pos)
        if length > 0x40000000:
            raise Refused("EOVERFLOW", "record length over the limit")
        pad = (8 - length % 8) % 8
        if 16 + length + pad > end - pos:
            raise Refused("EOVERFLOW", "record length past the end")
        body = buf[pos + 16:pos + 16 + length + pad]
        if crc32c(buf[pos:pos + 12] + body) != crc:
            raise Refused("EBADMSG", f"record {len(records)}: checksum mismatch")
        if rflags & ~0x1:
            raise Refused("EPROTO", "unknown record flags")
        if reserved:
            raise Refused("EPROTO", "reserved record field is not zero")
        if any(body[length:]):
            raise Refused("EPROTO", "record padding is not zero")
        records.append({"type": rtype, "flags": rflags, "payload": bytes(body[:length]),
                        "crc": crc, "at": pos})
        pos += 16 + length + pad
    if len(records) != count:
        raise Refused("EUCLEAN", "fewer records than the header counts")
    h.update(generation=gen, created=u64(buf, 40), payload_length=payload_length,
             client_version=u32(buf, 60), uuid=bytes(buf[64:80]),
             boot_id=bytes(buf[80:96]), release=release, name=name, records=records,
             crc=u32(buf, 252), file_crc=crc32c(buf))
    return h


# ---- section 9 and 12: a store ----
def manifest_generation(fname):
    hexpart = fname[len("manifest."):]
    if (not fname.startswith("manifest.") or len(hexpart) != 16
            or any(c not in "0123456789abcdef" for c in hexpart)):
        return 0
    return int(hexpart, 16)


def read_plain(path):
    st = os.lstat(path)
    if not os.path.isfile(path) or os.path.islink(path):
        raise Refused("EPERM", f"{path}: not a plain file")
    if st.st_nlink != 1:
        raise Refused("EMLINK", f"{path}: more than one link")
    with open(path, "rb") as f:
        return f.read()


def open_store(path):
    """The newest sealed generation and its validated record files, per section 12."""
    sh = decode_store_header(read_plain(os.path.join(path, "kstate.store")))
    gens = sorted((g for g in map(manifest_generation, os.listdir(path)) if g),
                  reverse=True)
    newest, damaged = None, None
    for g in gens:
        try:
            m = decode_manifest(read_plain(os.path.join(path, f"manifest.{g:016x}")))
            if m["generation"] != g:
                raise Refused("EUCLEAN", "holds another generation than its name")
            if m["uuid"] != sh["uuid"]:
                raise Refused("EXDEV", "belongs to another store")
        except Refused as e:
            damaged = damaged or (g, e)
            continue
        if m["state"] == 2:
            newest = m
            break
    if damaged and (newest is None or damaged[0] > newest["generation"]):
        raise damaged[1]
    if (newest["generation"] if newest else 0) < sh["last_sealed"]:
        raise Refused("ESTALE", "newest sealed generation is below the high-water mark")
    if newest is None:
        raise Refused("ENOENT", "no sealed generation yet")
    files = {}
    for e in newest["entries"]:
        if e["kind"] == 2:
            if os.path.getsize(os.path.join(path, f"{e['name']}.region")) != e["size"]:
                raise Refused("EUCLEAN", "region size differs from its entry")
            continue
        buf = read_plain(os.path.join(path, f"{e['name']}.{e['generation']:016x}.ksr"))
        f = decode_records(buf)
        if len(buf) != e["size"]:
            raise Refused("EUCLEAN", "size differs from its entry")
        if crc32c(buf) != e["crc"]:
            raise Refused("EBADMSG", "file checksum differs from its entry")
        if (f["generation"], f["name"], f["client_version"], f["uuid"]) != \
                (e["generation"], e["name"], e["client_version"], newest["uuid"]):
            raise Refused("EUCLEAN", "header does not match its entry")
        files[e["name"]] = f
    return sh, newest, files


# ---------------------------------------------------------------------------------
# The checks
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {what}")


def expect_refused(fn, buf, errno, what):
    try:
        fn(bytes(buf))
    except Refused as e:
        check(e.errno == errno, f"{what}: got {e.errno}, doc says {errno}")
        return
    check(False, f"{what}: accepted, doc says {errno}")


def fix_crc(buf, size):
    """Recompute a header CRC after a change, so a later check is the one exercised."""
    struct.pack_into("<I", buf, size - 4, crc32c(bytes(buf[:size - 4])))
    return buf


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print("SKIP: usage: format-doc-reader.py DATA_DIR (tests/data not found)")
        return 77
    data = sys.argv[1]

    def load(name):
        with open(os.path.join(data, name), "rb") as f:
            return f.read()

    uuid = bytes.fromhex("6b73746174654f018a5e102030405060")
    boot = bytes.fromhex("b0071d001122433384445566778899aa")
    t = 1764000000123456789

    # Section 2 check value.
    check(crc32c(b"123456789") == 0xE3069283, "CRC32C check value")
    check(crc32c(b"") == 0, "CRC32C of nothing is 0")

    # Section 14.1: golden-records.ksr.
    rb = load("golden-records.ksr")
    r = decode_records(rb)
    check(len(rb) == 440 and r["payload_length"] == 184, "records file size")
    check(r["crc"] == 0xE5AE37ED, "records header_crc")
    check(r["file_crc"] == 0xDFC4AA41, "records whole-file CRC")
    check((r["generation"], r["created"], r["client_version"]) == (1, t, 3),
          "records generation, time, client_version")
    check(r["uuid"] == uuid and r["boot_id"] == boot, "records uuid and boot id")
    check(r["release"] == "6.1.0-56-amd64" and r["name"] == "golden",
          "records release and name")
    want = [(0x100, 1, 0, b"hello", 0xA3A55FAF),
            (0x118, 2, 1, bytes(range(8)), 0x52CA9AF9),
            (0x130, 3, 0, b"", 0x78F2C90D),
            (0x140, 0xFFFF, 0, bytes((7 * k) % 256 for k in range(100)), 0x481A2245)]
    got = [(x["at"], x["type"], x["flags"], x["payload"], x["crc"]) for x in r["records"]]
    check(got == want, "records: offsets, types, flags, payloads, CRCs")

    e = decode_records(load("golden-empty.ksr"))
    check(e["name"] == "empty" and e["records"] == [], "empty record file")

    # Section 14.2: manifests.
    m = decode_manifest(load("golden-manifest-sealed"))
    check((m["generation"], m["base"], m["state"]) == (3, 2, 2), "sealed manifest header")
    check((m["created"], m["sealed_at"]) == (t, t + 1000), "sealed manifest times")
    check(m["entries_crc"] == 0xDF55BDF7 and m["crc"] == 0x82372632,
          "sealed manifest CRCs")
    check(m["uuid"] == uuid and m["release"] == "6.1.0-50-amd64", "sealed manifest ids")
    ents = [(x["name"], x["generation"], x["size"], x["crc"], x["kind"], x["flags"],
             x["client_version"]) for x in m["entries"]]
    check(ents == [("golden", 1, 440, 0xDFC4AA41, 1, 0, 3),
                   ("iommu-demo", 3, 4096, 0xDEADBEEF, 1, 1, 1),
                   ("guest-ram", 3, 0x200000, 0, 2, 0, 0)], "sealed manifest entries")
    check(m["entries"][0]["crc"] == r["file_crc"], "entry 0 holds the records file CRC")

    o = decode_manifest(load("golden-manifest-open"))
    check((o["generation"], o["base"], o["state"], o["sealed_at"], o["entries"],
           o["entries_crc"], o["crc"]) == (4, 3, 1, 0, [], 0, 0x7A639495),
          "open manifest")

    # Section 14.3: store header.
    s = decode_store_header(load("golden-store-header"))
    check((s["uuid"], s["created"], s["last_sealed"], s["crc"]) ==
          (uuid, t, 3, 0x418D395E), "store header")

    # Section 14.4: the golden store, read as section 12 says.
    sh, newest, files = open_store(os.path.join(data, "golden-store"))
    check(sh["last_sealed"] == 1 and newest["generation"] == 1, "golden store generation")
    check(list(files) == ["golden"] and files["golden"]["records"] == r["records"],
          "golden store record file")

    # Section 15: each damage is refused with the error the checklist gives.
    expect_refused(decode_records, rb[:31], "EOVERFLOW", "records: 31 bytes")
    expect_refused(decode_records, b"X" + rb[1:], "EPROTO", "records: signature")
    b = bytearray(rb); b[8] = 2
    expect_refused(decode_records, b, "EPROTO", "records: major version 2")
    b = bytearray(rb); b[10] = 9; fix_crc(b, 256)
    check(decode_records(bytes(b))["minor"] == 9, "records: any minor version is read")
    expect_refused(decode_records, rb[:200], "EOVERFLOW", "records: truncated header")
    b = bytearray(rb); b[0x30] ^= 1
    expect_refused(decode_records, b, "EBADMSG", "records: header bit flip")
    b = bytearray(rb); b[24] = 1; fix_crc(b, 256)
    expect_refused(decode_records, b, "EOPNOTSUPP", "records: incompat bit")
    b = bytearray(rb); b[16] = 1; b[20] = 1; fix_crc(b, 256)
    check(decode_records(bytes(b))["compat"] == 1, "records: compat/ro_compat are read")
    b = bytearray(rb); b[28] = 2; fix_crc(b, 256)
    expect_refused(decode_records, b, "EPROTO", "records: unknown file flag")
    b = bytearray(rb); b[200] = 1; fix_crc(b, 256)
    expect_refused(decode_records, b, "EPROTO", "records: reserved byte")
    b = bytearray(rb); b[32] = 0; fix_crc(b, 256)
    expect_refused(decode_records, b, "EUCLEAN", "records: generation 0")
    b = bytearray(rb); b[0xa0] = ord("."); fix_crc(b, 256)
    expect_refused(decode_records, b, "EUCLEAN", "records: name starting with '.'")
    b = bytearray(rb); b[0x60] = 0x07; fix_crc(b, 256)
    expect_refused(decode_records, b, "EUCLEAN", "records: unprintable release")
    expect_refused(decode_records, rb[:-8], "EOVERFLOW", "records: truncated payload")
    expect_refused(decode_records, rb + b"\0", "EMSGSIZE", "records: extra byte")
    b = bytearray(rb); b[0x38] = 3; fix_crc(b, 256)
    expect_refused(decode_records, b, "EUCLEAN", "records: record_count too small")
    b = bytearray(rb); b[0x38] = 5; fix_crc(b, 256)
    expect_refused(decode_records, b, "EUCLEAN", "records: record_count too large")
    b = bytearray(rb); b[0x110] ^= 0x20
    expect_refused(decode_records, b, "EBADMSG", "records: payload bit flip")
    b = bytearray(rb); b[0x104] = 0xF0
    expect_refused(decode_records, b, "EOVERFLOW", "records: record length past the end")
    b = bytearray(rb); b[0x107] = 0x50
    expect_refused(decode_records, b, "EOVERFLOW", "records: record length over 1 GiB")

    def rec0(flags=0, reserved=0, pad=b"\0\0\0"):
        b = bytearray(rb)
        struct.pack_into("<HI", b, 0x102, flags, 5)
        struct.pack_into("<I", b, 0x108, reserved)
        b[0x115:0x118] = pad
        struct.pack_into("<I", b, 0x10C, crc32c(bytes(b[0x100:0x10C] + b[0x110:0x118])))
        return b

    check(decode_records(bytes(rec0()))["records"][0]["crc"] == 0xA3A55FAF,
          "records: re-encoded record 0 is identical")
    expect_refused(decode_records, rec0(flags=2), "EPROTO", "records: record flag")
    expect_refused(decode_records, rec0(reserved=1), "EPROTO", "records: record reserved")
    expect_refused(decode_records, rec0(pad=b"\0\1\0"), "EPROTO", "records: padding")

    mb = load("golden-manifest-sealed")
    b = bytearray(mb); b[0x4C] ^= 1; fix_crc(b, 256)
    expect_refused(decode_manifest, b, "EBADMSG", "manifest: entries_crc")
    b = bytearray(mb); b[0x120] = 4
    expect_refused(decode_manifest, b, "EBADMSG", "manifest: entry bit flip")
    expect_refused(decode_manifest, mb[:-1], "EOVERFLOW", "manifest: truncated entries")
    expect_refused(decode_manifest, mb + bytes(64), "EMSGSIZE", "manifest: extra bytes")

    def man(hdr=None, entries=None):
        b = bytearray(mb)
        for off, fmt, val in hdr or []:
            struct.pack_into(fmt, b, off, val)
        for off, fmt, val in entries or []:
            struct.pack_into(fmt, b, 256 + off, val)
        struct.pack_into("<I", b, 76, crc32c(bytes(b[256:])))
        return fix_crc(b, 256)

    check(decode_manifest(bytes(man()))["crc"] == 0x82372632, "manifest: re-encode")
    expect_refused(decode_manifest, man([(28, "<I", 1)]), "EPROTO", "manifest: flags")
    expect_refused(decode_manifest, man([(200, "<B", 1)]), "EPROTO", "manifest: reserved")
    expect_refused(decode_manifest, man([(72, "<I", 65)]), "EPROTO", "manifest: entry_size")
    expect_refused(decode_manifest, man([(40, "<Q", 3)]), "EUCLEAN", "manifest: base >= gen")
    expect_refused(decode_manifest, man([(64, "<I", 3)]), "EPROTO", "manifest: state 3")
    expect_refused(decode_manifest, man([(68, "<I", 65537)]), "EOVERFLOW",
                   "manifest: too many entries")
    expect_refused(decode_manifest, man([(24, "<I", 0x80000000)]), "EOPNOTSUPP",
                   "manifest: incompat bit")
    expect_refused(decode_manifest, man(entries=[(60, "<I", 1)]), "EPROTO",
                   "manifest: entry reserved")
    expect_refused(decode_manifest, man(entries=[(52, "<H", 3)]), "EOPNOTSUPP",
                   "manifest: entry kind 3")
    expect_refused(decode_manifest, man(entries=[(54, "<H", 2)]), "EPROTO",
                   "manifest: entry flags")
    expect_refused(decode_manifest, man(entries=[(32, "<Q", 4)]), "EUCLEAN",
                   "manifest: entry generation above the manifest's")
    expect_refused(decode_manifest, man(entries=[(40, "<Q", 255)]), "EUCLEAN",
                   "manifest: record file entry below 256 bytes")
    expect_refused(decode_manifest, man(entries=[(128 + 48, "<I", 1)]), "EUCLEAN",
                   "manifest: region with a crc")
    # A region frozen for a reboot: its crc with entry flag 0x2, under incompat bit 0.
    frozen = [(128 + 48, "<I", 0xCAFE), (128 + 54, "<H", 0x2)]
    expect_refused(decode_manifest, man(entries=frozen), "EPROTO",
                   "manifest: region crc flag without the incompat bit")
    got = decode_manifest(bytes(man([(24, "<I", 0x1)], frozen)))["entries"][2]
    check(got["crc"] == 0xCAFE and got["flags"] == 0x2, "manifest: region crc under bit 0")
    expect_refused(decode_manifest, man([(24, "<I", 0x1)], [(54, "<H", 0x2)]), "EPROTO",
                   "manifest: region crc flag on a record file")
    expect_refused(decode_manifest, man(entries=[(64, "<B", ord("a"))]), "EUCLEAN",
                   "manifest: entries out of order")
    expect_refused(decode_manifest, man(entries=[(31, "<B", ord("x"))]), "EUCLEAN",
                   "manifest: name with a byte after its NUL")

    sb = load("golden-store-header")
    expect_refused(decode_store_header, sb + b"\0", "EMSGSIZE", "store: extra byte")
    b = bytearray(sb); b[0x38] = 4
    expect_refused(decode_store_header, b, "EBADMSG", "store: bit flip")
    b = bytearray(sb); b[28] = 1; fix_crc(b, 128)
    expect_refused(decode_store_header, b, "EPROTO", "store: flags")
    b = bytearray(sb); b[100] = 1; fix_crc(b, 128)
    expect_refused(decode_store_header, b, "EPROTO", "store: reserved")
    b = bytearray(sb); b[12] = 0x40
    expect_refused(decode_store_header, b, "EPROTO", "store: header_size 64")

    print(f"format-doc-reader: {checks} checks, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Refused as e:
        print(f"FAIL: a golden file was refused: {e}")
        sys.exit(1)

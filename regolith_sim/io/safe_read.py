"""Reading the files a user names: regular files only, with a size cap, as UTF-8 text, and TOML with a
nesting limit. Every fault is one :class:`~regolith_sim.errors.UserError` line that names the file (and
the case key that named it), what is wrong and what is allowed; no message quotes the file's contents,
so naming a foreign file (``/etc/passwd``) never echoes it.

Devices (``/dev/zero``), named pipes and sockets are refused before a byte is read: the file is opened
non-blocking (a pipe without a writer cannot hang the open) and checked with ``fstat`` on the open
descriptor, so the check and the read see the same file.
"""
from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path

from ..errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Caps in bytes. Case, material and sweep files are a few kB; plan files (G-code of a long print) can be large.
MAX_TOML_BYTES = 4 * 2**20
MAX_TABLE_BYTES = 256 * 2**20
#: Deepest nesting of tables and arrays accepted in a TOML file (the case schema needs 5).
MAX_TOML_DEPTH = 32

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def _open_regular(p: Path, what: str, key: str | None, max_bytes: int, error: type[UserError]):
    """(descriptor, fail) of the regular file ``p`` opened for reading, refused with one line otherwise;
    ``fail(problem)`` makes the error for a later problem."""
    allowed = f"allowed: a regular file of up to {_mib(max_bytes)}"

    def fail(problem: str) -> UserError:
        return error(f"{what} '{p}' {problem}; {allowed}", key=key)

    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise error(f"{what} '{p}' not found (current folder: {Path.cwd()})", key=key) from None
    except IsADirectoryError:
        raise fail("is a folder") from None
    except PermissionError:
        raise fail("cannot be read (permission denied)") from None
    except OSError as exc:
        raise fail(f"cannot be opened ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        for test, kind in _KINDS:
            if test(st.st_mode):
                raise fail(f"is {kind}, not a regular file")
        if st.st_size > max_bytes:
            raise fail(f"is {st.st_size} bytes")
    except BaseException:
        os.close(fd)
        raise
    return fd, fail


def check_regular(path: str | Path, *, what: str, key: str | None = None, max_bytes: int = MAX_TABLE_BYTES,
                  error: type[UserError] = UserError) -> Path:
    """Refuse ``path`` unless it is a readable regular file of at most ``max_bytes`` (for files a library
    reads by name, such as meshes); return it."""
    fd, _ = _open_regular(Path(path), what, key, max_bytes, error)
    os.close(fd)
    return Path(path)


def read_bytes(path: str | Path, *, what: str, key: str | None = None, max_bytes: int = MAX_TOML_BYTES,
               error: type[UserError] = UserError) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    ``what`` names the file in messages ('case file', 'plan file'); ``key`` is the case key that named it;
    ``error`` is the :class:`UserError` subclass raised."""
    fd, fail = _open_regular(Path(path), what, key, max_bytes, error)
    try:
        chunks, total = [], 0
        while total <= max_bytes:  # /proc files report size 0: the cap is enforced on what is read
            chunk = os.read(fd, min(2**20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise fail(f"is larger than {max_bytes} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, *, what: str, key: str | None = None, max_bytes: int = MAX_TOML_BYTES,
              error: type[UserError] = UserError) -> str:
    """The UTF-8 text of the regular file ``path`` (see :func:`read_bytes`); binary files are refused."""
    data = read_bytes(path, what=what, key=key, max_bytes=max_bytes, error=error)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{what} '{Path(path)}' is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                    "allowed: a UTF-8 text file", key=key) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise error(f"{what} '{Path(path)}' is a binary file (NUL byte on line {line}); allowed: a UTF-8 text file",
                    key=key)
    return text


def nesting_depth(value) -> int:
    """Depth of nested tables and arrays in parsed TOML (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def read_toml(path: str | Path, *, what: str, key: str | None = None, max_bytes: int = MAX_TOML_BYTES,
              max_depth: int = MAX_TOML_DEPTH, error: type[UserError] = UserError) -> dict:
    """Parse the TOML file ``path`` (see :func:`read_text`), refusing nesting deeper than ``max_depth``."""
    return _parse(path, "TOML", tomllib.loads, tomllib.TOMLDecodeError, what, key, max_bytes, max_depth, error)


def read_json(path: str | Path, *, what: str, key: str | None = None, max_bytes: int = MAX_TOML_BYTES,
              max_depth: int = MAX_TOML_DEPTH, error: type[UserError] = UserError):
    """Parse the JSON file ``path`` (see :func:`read_text`), refusing nesting deeper than ``max_depth``."""
    return _parse(path, "JSON", json.loads, ValueError, what, key, max_bytes, max_depth, error)


def _parse(path, kind, loads, syntax_error, what, key, max_bytes, max_depth, error):
    p = Path(path)
    text = read_text(p, what=what, key=key, max_bytes=max_bytes, error=error)
    too_deep = error(f"{what} '{p}' nests tables or arrays too deeply; allowed: at most {max_depth} levels", key=key)
    try:
        data = loads(text)
    except syntax_error as exc:  # the parsers' messages give a position, never the text
        raise error(f"{what} '{p}' is not valid {kind}: {exc}", key=key) from None
    except RecursionError:  # the parsers recurse once per level: deep nesting never gets to the check below
        raise too_deep from None
    if nesting_depth(data) > max_depth:
        raise too_deep
    return data


_TOKEN = re.compile(r"[\w.+\- ]{1,32}")


def shown_token(token: str) -> str:
    """A field of a user's file for an error message: quoted when it is a short word or number (a misspelt
    column, 'abc' for a number), otherwise only its length, so a message never echoes a foreign file's lines."""
    token = token.strip()
    return repr(token) if _TOKEN.fullmatch(token) else f"a field of {len(token)} characters"

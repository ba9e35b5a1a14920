"""Reference data shipped in data/: streets and their aliases, the drug pick-list.

An office replaces any shipped file by putting a file of the same name in the folder that
holds its database; nothing in Python changes.
"""

from __future__ import annotations

import functools
import sqlite3
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from jindu_cli.errors import InvalidInput, JinduError


def packaged_data_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    installed = here / "data"
    if installed.is_dir():
        return installed
    return here.parent.parent / "data"  # a source checkout: <repo>/src/jindu_cli -> <repo>/data


def db_folder(conn: sqlite3.Connection | None) -> Path | None:
    if conn is None:
        return None
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]).parent if row and row[2] else None


def data_file(name: str, conn: sqlite3.Connection | None = None) -> Path:
    """The office's own copy beside the database when there is one, else the shipped file."""
    folder = db_folder(conn)
    if folder is not None and (folder / name).is_file():
        return folder / name
    return packaged_data_dir() / name


@functools.lru_cache(maxsize=32)
def _load_toml(path: Path, mtime: float) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise JinduError(f"数据文件 {path} 的格式有误：{exc}") from None


def load_toml(path: Path) -> dict:
    return _load_toml(path, path.stat().st_mtime)


def fold(text: str) -> str:
    """Compare names loosely: full-width to half-width, no spaces, ASCII lower-case."""
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "").lower()


@dataclass(frozen=True)
class Streets:
    names: tuple[str, ...]
    lookup: dict[str, str]
    source: Path

    def resolve(self, raw: str | None, field: str = "街道") -> str:
        """The canonical street name for `raw`; an unknown name is an error, never a new street."""
        if raw is None or not str(raw).strip():
            raise InvalidInput(field, "不能为空")
        key = fold(str(raw))
        if key in self.lookup:
            return self.lookup[key]
        raise InvalidInput(
            field,
            f"“{str(raw).strip()}”不是已知的街道。已知：{'、'.join(self.names)}。"
            f"其他写法请加到 street_aliases.toml（放在数据库所在的文件夹）",
        )



def streets(conn: sqlite3.Connection | None = None) -> Streets:
    path = data_file("streets.toml", conn)
    alias_path = data_file("street_aliases.toml", conn)
    return _streets(path, path.stat().st_mtime, alias_path, alias_path.stat().st_mtime)


@functools.lru_cache(maxsize=8)
def _streets(path: Path, _m1: float, alias_path: Path, _m2: float) -> Streets:
    data = load_toml(path)
    names: list[str] = []
    lookup: dict[str, str] = {}
    for entry in data.get("streets", []):
        name = entry["name"]
        names.append(name)
        lookup[fold(name)] = name
        lookup[fold(entry.get("code", name))] = name
        if name.endswith("街道") and len(name) > 2:
            # 盐务街 and 盐务街街道办事处 both mean 盐务街街道
            lookup.setdefault(fold(name[:-2]), name)
            lookup.setdefault(fold(name + "办事处"), name)
            lookup.setdefault(fold(name + "办"), name)
    aliases = load_toml(alias_path).get("aliases", {})
    for alias, target in aliases.items():
        canonical = lookup.get(fold(target))
        if canonical is None:
            raise JinduError(f"{alias_path}：别名“{alias}”指向的“{target}”不在街道名单里")
        lookup[fold(alias)] = canonical
    return Streets(tuple(names), lookup, path)


@dataclass(frozen=True)
class DrugList:
    codes: dict[str, str]  # code -> name
    lookup: dict[str, str]  # folded name, alias or code -> name

    def resolve(self, raw: str) -> str:
        """The pick-list name for `raw`, or the text itself (free text) when it is not listed."""
        text = unicodedata.normalize("NFKC", raw).strip()
        return self.lookup.get(fold(text), text)

    def resolve_many(self, values) -> list[str]:
        out: list[str] = []
        for value in values or []:
            for part in split_list(value):
                name = self.resolve(part)
                if name and name not in out:
                    out.append(name)
        return out


def split_list(value: str) -> list[str]:
    text = unicodedata.normalize("NFKC", str(value))
    for sep in ("、", "，", ";", "；", "/", "|"):
        text = text.replace(sep, ",")
    return [p.strip() for p in text.split(",") if p.strip()]


def drugs(conn: sqlite3.Connection | None = None) -> DrugList:
    path = data_file("drugs.toml", conn)
    return _drugs(path, path.stat().st_mtime)


@functools.lru_cache(maxsize=8)
def _drugs(path: Path, _mtime: float) -> DrugList:
    data = load_toml(path)
    codes: dict[str, str] = {}
    lookup: dict[str, str] = {}
    for entry in data.get("drugs", []):
        name = entry["name"]
        codes[entry["code"]] = name
        lookup[fold(name)] = name
        lookup[fold(entry["code"])] = name
        for alias in entry.get("aliases", []):
            lookup[fold(alias)] = name
    return DrugList(codes, lookup)


@dataclass(frozen=True)
class PickList:
    """A pick-list of data/ (activity kinds, audiences, screened groups): names, their other
    spellings, and what each entry says besides (a kind's category, a group's code)."""

    field: str  # what the clerk fills in with it, for messages
    file: str
    names: tuple[str, ...]
    lookup: dict[str, str]  # folded name or alias -> name
    extra: dict[str, dict]  # name -> the entry's other keys

    def find(self, raw) -> str | None:
        return self.lookup.get(fold(str(raw))) if raw is not None else None

    def resolve(self, raw, field: str | None = None) -> str:
        """The listed name `raw` means; one not listed is an error naming the choices and how to add one."""
        if raw is None or not str(raw).strip():
            raise InvalidInput(field or self.field, "不能为空")
        found = self.find(raw)
        if found is None:
            raise InvalidInput(field or self.field,
                               f"“{str(raw).strip()}”不在选择表里；可选：{'、'.join(self.names)}。"
                               f"要增加，把 {self.file} 复制到数据库所在的文件夹，加上一条")
        return found

    def resolve_many(self, values, field: str | None = None) -> list[str]:
        """Each listed name of `values` (a list, or text with 、，; / between names), once."""
        out: list[str] = []
        for value in values if isinstance(values, list) else [values]:
            for part in split_list(value):
                name = self.resolve(part, field)
                if name not in out:
                    out.append(name)
        return out

    def within(self, text: str) -> str | None:
        """The entry a longer text names (禁毒宣传进校园活动): the longest name or alias in it, one of a
        catch-all entry (`fallback = true`: 其他宣传, whose alias 禁毒宣传 most names hold) only when
        no other is."""
        key = fold(text)
        found = [(not self.extra[self.lookup[s]].get("fallback"), len(s), s) for s in self.lookup if s and s in key]
        return self.lookup[max(found)[2]] if found else None


# name -> (file, the file's list, what the clerk fills in with it, the keys an entry must have besides name)
PICK_LISTS = {
    "activity_kinds": ("activity_kinds.toml", "kinds", "活动类别", {"category": ("宣传", "入户调查")}),
    "audiences": ("audiences.toml", "audiences", "对象", {}),
    "screen_groups": ("screen_groups.toml", "groups", "筛查对象", {"code": None}),
}


def pick_list(conn: sqlite3.Connection | None, name: str) -> PickList:
    """The pick-list `name` of PICK_LISTS: the office's file beside the database, else the shipped one."""
    path = data_file(PICK_LISTS[name][0], conn)
    return _pick_list(name, path, path.stat().st_mtime)


@functools.lru_cache(maxsize=16)
def _pick_list(name: str, path: Path, _mtime: float) -> PickList:
    import re

    _, key, field, required = PICK_LISTS[name]
    names: list[str] = []
    lookup: dict[str, str] = {}
    extra: dict[str, dict] = {}
    aliases: list[tuple[str, str]] = []
    for n, entry in enumerate(load_toml(path).get(key, []), start=1):
        entry_name = str(entry.get("name", "")).strip() if isinstance(entry, dict) else ""
        if not entry_name or "{" in entry_name or "}" in entry_name:
            raise JinduError(f"{path}：第 {n} 条没有 name（或名称里有花括号）")
        for needed, allowed in required.items():
            value = entry.get(needed)
            if allowed is None and not (isinstance(value, str) and re.fullmatch(r"[a-z0-9_]+", value)):
                raise JinduError(f"{path}：“{entry_name}”的 {needed} 应是小写英文字母、数字和下划线，如 drivers")
            if allowed is not None and value not in allowed:
                raise JinduError(f"{path}：“{entry_name}”的 {needed} 应是 {' 或 '.join(allowed)}")
        names.append(entry_name)
        extra[entry_name] = {k: v for k, v in entry.items() if k not in ("name", "aliases")}
        lookup[fold(entry_name)] = entry_name
        aliases += [(str(alias), entry_name) for alias in entry.get("aliases", [])]
    for alias, entry_name in aliases:  # (a name is never shadowed by another entry's alias)
        lookup.setdefault(fold(alias), entry_name)
    if not names:
        raise JinduError(f"{path}：选择表是空的（应有 {key} = [...]）")
    return PickList(field, path.name, tuple(names), lookup, extra)

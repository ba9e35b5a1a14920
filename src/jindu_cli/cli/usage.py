"""Usage errors (an unknown option or command, a value missing or of the wrong kind) told in
Chinese, for a clerk who does not read the English that the command-line library writes."""

from __future__ import annotations

import re
import sys
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer 0.28 carries its own copy of click
    from typer._click import exceptions as click_errors
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - typer 0.27 uses click itself
    from click import exceptions as click_errors
    from click.globals import get_current_context


class RootGroup(TyperGroup):
    """jindu's root command: as TyperGroup, but a usage error is written in Chinese (with the
    command's usage and where to find its help) and exits with its code, 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode: bool = True, **extra: Any):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:  # the help is shown already
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            show(exc)
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            print(f"错误：{exc.format_message()}", file=sys.stderr)
            sys.exit(exc.exit_code)
        except typer.Abort:  # input ended (Ctrl-D) where a command asked for it
            print("已取消", file=sys.stderr)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def chinese_usage(text: str) -> str:
    """A usage line as the command-line library writes it, in Chinese."""
    text = re.sub(r"^(\s*)Usage: *", r"\1用法：", text)
    return text.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")


class _ChineseUsage:
    """typer's highlighter for help screens, writing their usage line in Chinese first."""

    def __init__(self, highlighter):
        self.highlighter = highlighter

    def __call__(self, text):
        return self.highlighter(chinese_usage(text) if isinstance(text, str) else text)


def _chinese_help_screen(command, ctx) -> None:
    """Set typer's own words on help screens (Usage, Arguments, Options, Commands, [default: …],
    [required], and the help option's "Show this message and exit.") to Chinese. typer loads rich
    to draw a help screen only when one is asked for, and so does this."""
    from typer import rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
    rich_utils.OPTIONS_PANEL_TITLE = "选项"
    rich_utils.COMMANDS_PANEL_TITLE = "命令"
    rich_utils.DEFAULT_STRING = "[默认：{}]"
    rich_utils.REQUIRED_LONG_STRING = "[必填]"
    rich_utils.ENVVAR_STRING = "[环境变量：{}]"
    rich_utils.DEPRECATED_STRING = "（已停用）"
    if not isinstance(rich_utils.highlighter, _ChineseUsage):
        rich_utils.highlighter = _ChineseUsage(rich_utils.highlighter)
    if not getattr(rich_utils._get_parameter_help, "wraps", False):
        rich_utils._get_parameter_help = _wrapping(rich_utils._get_parameter_help)
    if not getattr(rich_utils._make_command_help, "wraps", False):
        rich_utils._make_command_help = _wrapped_command_help(rich_utils._make_command_help)
    if not getattr(rich_utils._get_help_text, "wraps", False):
        rich_utils._get_help_text = _wrapped_description(rich_utils._get_help_text)
    option = command.get_help_option(ctx)
    if option is not None:
        option.help = "显示这个帮助，然后退出"


class _Wrapped:
    """Help text wrapped the way tables wrap long text (cli/table.wrap): between Chinese characters
    or at spaces, never inside an option's name, a date or a number. rich wraps only at spaces, and
    so cuts a line of Chinese (one long "word" to rich) with "…", or folds it inside a word."""

    def __init__(self, text):
        self.text = text

    def __rich_console__(self, console, options):
        from jindu_cli.cli.table import breaks

        for paragraph in self.text.split("\n"):
            for line in paragraph.divide(breaks(paragraph.plain, options.max_width)):
                line.rstrip()
                yield line[len(line.plain) - len(line.plain.lstrip()):]

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        from jindu_cli.cli.table import unbroken, width

        plain = self.text.plain
        widest = max(map(width, plain.split("\n")), default=0)
        return Measurement(unbroken(plain), widest).clamp(max_width=options.max_width)


def _wrapping(parameter_help):
    """typer lays an option's help out as rich Columns, which cut a line of Chinese with "…" at 80
    columns: the same pieces as one text, wrapped."""
    def help_text(**kwargs):
        from rich.text import Text

        text = Text()
        for item in parameter_help(**kwargs).renderables:
            if text:
                text.append(" ")
            text.append_text(item) if isinstance(item, Text) else text.append(str(item))
        return _Wrapped(text)

    help_text.wraps = True
    return help_text


def _wrapped_command_help(command_help):
    """A command's line in a group's list of commands, wrapped rather than cut with "…"."""
    def help_text(**kwargs):
        from rich.text import Text

        text = command_help(**kwargs)
        return _Wrapped(text) if isinstance(text, Text) else text

    help_text.wraps = True
    return help_text


def _wrapped_description(help_text):
    """A command's description at the top of its help screen, wrapped rather than folded."""
    def description(**kwargs):
        from rich.console import Group
        from rich.text import Text

        return Group(*(_Wrapped(item) if isinstance(item, Text) else item
                       for item in help_text(**kwargs).renderables))

    description.wraps = True
    return description


def _in_chinese(format_help):
    def format_help_in_chinese(self, ctx, formatter) -> None:
        _chinese_help_screen(self, ctx)
        return format_help(self, ctx, formatter)

    format_help_in_chinese.chinese = True
    return format_help_in_chinese


# every typer command and group of jindu draws its help screen in Chinese (typer builds the
# subcommands' classes itself, so they are set here rather than subclassed)
for _cls in (TyperCommand, TyperGroup):
    if not getattr(_cls.format_help, "chinese", False):
        _cls.format_help = _in_chinese(_cls.format_help)


def missing(options: list[str], hint: str = "") -> None:
    """Refuse a command that lacks options it needs, naming them all at once (exit 2, as a usage
    error): better than one field per run."""
    if options:
        raise click_errors.UsageError(f"缺少必填的选项 {'、'.join(options)}{hint}", ctx=get_current_context(silent=True))


def show(exc: click_errors.UsageError) -> None:
    ctx = exc.ctx
    lines = []
    if ctx is not None:
        lines.append(chinese_usage(ctx.get_usage()))
    lines.append(f"错误：{explain(exc)}")
    if ctx is not None:
        lines.append(f"帮助：{ctx.command_path} -h")
    print("\n".join(lines), file=sys.stderr)


def explain(exc: click_errors.UsageError) -> str:
    """What was wrong, in Chinese; a message this does not know stays as the library wrote it."""
    text = exc.message
    if isinstance(exc, click_errors.NoSuchOption):
        said = f"没有 {exc.option_name} 这个选项"
        possible = _meant(exc) or sorted(exc.possibilities or ())
        return said + (f"；是不是 {'、'.join(possible)}？" if possible else "")
    if isinstance(exc, click_errors.BadOptionUsage):
        if "requires" in text:
            return f"{exc.option_name} 后面要跟一个值"
        if "does not take a value" in text:
            return f"{exc.option_name} 后面不跟值"
        return text
    if isinstance(exc, click_errors.MissingParameter):
        return f"缺少{'参数' if _kind(exc) == 'argument' else '选项'} {_hint(exc)}"
    if isinstance(exc, click_errors.BadParameter):
        return f"{_hint(exc)} 的值不对：{_reason(exc)}"
    if found := re.match(r"No such command '(.*)'\.(?: Did you mean (.*)\?)?$", text):
        name = found.group(1).replace("\\\\", "\\")  # (click quotes the name with repr: C:\\a to C:\a)
        said = f"没有 {name} 这个命令"
        if found.group(2):  # typer's close matches: 'case', 'test'
            names = re.findall(r"'([^']*)'", found.group(2))
            said += f"；是不是 {'、'.join(names)}？"
        elif re.search(r"(\.(csv|xlsx|xls|txt)$|[/\\])", name, re.IGNORECASE):  # (a file, typed first)
            said += f"；要导入文件，先写导入什么：jindu import auto {name}（按列名识别类型）"
        return said
    if found := re.match(r"Got unexpected extra argument\(s\) \((.*)\)$", text):
        return f"多出了参数：{found.group(1)}"
    return text


# options a clerk reaches for by another name: the one jindu has (offered where the command has it)
OTHER_NAMES = {"--month": "--period", "--year": "--period", "--quarter": "--period", "--date": "--on",
               "--day": "--on", "--out": "--output", "--file": "--output"}


def _meant(exc: click_errors.NoSuchOption) -> list[str]:
    meant = OTHER_NAMES.get(exc.option_name)
    have = {o for p in exc.ctx.command.params for o in p.opts} if exc.ctx is not None else set()
    return [meant] if meant in have else []


def _hint(exc: click_errors.BadParameter) -> str:
    if exc.param_hint is not None:
        hint = exc.param_hint
    elif exc.param is not None:
        hint = exc.param.get_error_hint(exc.ctx)
    else:
        return ""
    shown = " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint).replace("'", "")
    return shown.removesuffix("...")  # (an argument that takes several: 文件...)


def _kind(exc: click_errors.MissingParameter) -> str | None:
    return exc.param_type or (exc.param.param_type_name if exc.param is not None else None)


def _reason(exc: click_errors.BadParameter) -> str:
    """Why a value was refused: by the kind of value the option takes."""
    text = exc.message
    value = re.match(r"^'(.*?)' ", text)
    shown = f"“{value.group(1)}”" if value else "这个值"
    if re.search(r" is not a valid int(eger)?\.", text):
        return f"{shown}不是整数"
    if " is not a valid float" in text:
        return f"{shown}不是数字"
    if " is not one of " in text:
        choices = re.findall(r"'([^']*)'", text.split(" is not one of ", 1)[1])
        return f"{shown}不是可选的值；可选：{'、'.join(choices)}"
    if " is not in the range " in text:
        return text.replace(" is not in the range ", " 不在范围 ").rstrip(".")
    return text

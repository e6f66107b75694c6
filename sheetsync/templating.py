"""Jinja2 rendering of templates/ (checklist items, drafts), safely.

Templates run in a **sandboxed** environment with **strict undefined** variables: a user's
template cannot reach Python internals, and a typo such as ``{{ contact.frist_name }}`` is a
:class:`~sheetsync.errors.TemplateError` naming the template, the line and the variable — so a
sync stops before it writes anything half-rendered. A user's templates folder
(``[prep] templates_dir``) is searched first, then the built-in ``templates/``; it must lie
inside the folder of the config file that names it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from sheetsync.checklists import default_templates_dir
from sheetsync.errors import ConfigError, TemplateError


def builtin_dir() -> Path:
    """The built-in templates folder as a filesystem path."""
    return Path(str(default_templates_dir()))


def check_templates_dir(value: str, config_path: Path) -> Path:
    """Resolve ``templates_dir`` from a config file; refuse folders outside the config's own."""
    base = config_path.resolve().parent
    folder = (base / Path(value).expanduser()).resolve()
    if not folder.is_relative_to(base):
        raise ConfigError(
            f"{config_path}: 'prep.templates_dir' = '{value}' points outside the folder of "
            f"the config file ({base}). Put your templates in a folder beside sheetsync.toml."
        )
    if not folder.is_dir():
        raise ConfigError(f"{config_path}: 'prep.templates_dir' = '{value}' is not a folder.")
    return folder


@lru_cache(maxsize=8)
def environment(user_dir: Path | None = None) -> SandboxedEnvironment:
    """The sandboxed environment: the user's folder first, then the built-in templates."""
    folders = [str(p) for p in (user_dir, builtin_dir()) if p is not None]
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters["first_word"] = lambda s: str(s).split()[0] if str(s).split() else ""
    return env


# The templates looked up inside a ``templates_held`` block, by (folder, name).
_HELD: ContextVar[dict[tuple[Path | None, str], jinja2.Template] | None] = ContextVar(
    "sheetsync_templates_held", default=None
)


@contextmanager
def templates_held() -> Iterator[None]:
    """Inside the block, each template file is looked up once: Jinja2 otherwise checks the
    file's modification time at every render (a prep tab of 20,000 rows renders some 2,000
    drafts). A template edited meanwhile is read again by the next block."""
    token = _HELD.set({})
    try:
        yield
    finally:
        _HELD.reset(token)


def _template(env: SandboxedEnvironment, name: str, user_dir: Path | None) -> jinja2.Template:
    held = _HELD.get()
    if held is None:
        return env.get_template(name)
    template = held.get((user_dir, name))
    if template is None:
        template = held[(user_dir, name)] = env.get_template(name)
    return template


def render(name: str, context: Mapping[str, Any], user_dir: Path | None = None) -> str:
    """Render template file ``name`` (e.g. ``drafts/thank_you.txt.j2``)."""
    env = environment(user_dir)
    try:
        template = _template(env, name, user_dir)
        return _tidy(template.render(**context))
    except jinja2.TemplateNotFound:
        raise TemplateError(
            f"Template {name} not found in your templates folder or the built-in one."
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"Template {exc.filename or name}, line {exc.lineno}: {exc.message}. Fix the template."
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(_undefined_message(name, env, exc)) from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(
            f"Template {name} tried something templates may not do: {exc}."
        ) from None
    except Exception as exc:  # anything else the template's own expressions raised
        raise TemplateError(
            f"Template {name} failed: {type(exc).__name__}: {exc}. Fix the template."
        ) from None


def render_text(text: str, context: Mapping[str, Any], label: str) -> str:
    """Render a short template held in data (a checklist item's text)."""
    if "{" not in text:  # no Jinja2 syntax: the same for every contact
        return _constant(text)
    try:
        return _tidy(_compiled(text).render(**context))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{label}: {exc.message}. Fix the text.") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{label}: {exc.message} — check the variable's spelling.") from None
    except Exception as exc:  # a sandbox refusal or an error in the text's own expressions
        raise TemplateError(f"{label}: {type(exc).__name__}: {exc}. Fix the text.") from None


@lru_cache(maxsize=256)
def _constant(text: str) -> str:
    """A text without template syntax, rendered once (checklists repeat per interview)."""
    return _tidy(_compiled(text).render())


@lru_cache(maxsize=256)
def _compiled(text: str) -> jinja2.Template:
    """Checklist texts repeat for every interview block: compile each once."""
    return environment(None).from_string(text)


def _undefined_message(name: str, env: SandboxedEnvironment, exc: jinja2.UndefinedError) -> str:
    line = _line_of(name, env, exc)
    where = f"line {line}" if line else "a line"
    return (
        f"Template {name}, {where}: {exc.message}. Check the variable's spelling; "
        "`sheetsync draft --help` lists the variables templates can use."
    )


def _line_of(name: str, env: SandboxedEnvironment, exc: BaseException) -> int | None:
    """The template line where rendering failed (from the traceback's template frames)."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if (
            tb.tb_frame.f_code.co_filename.endswith(name)
            or "<template>" in tb.tb_frame.f_code.co_filename
        ):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """Trim trailing spaces and collapse runs of blank lines."""
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip()

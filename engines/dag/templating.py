"""Jinja templating of a task's `template_fields` before each try (Airflow's Templater,
airflow/sdk/definitions/_internal/templater.py).

Every string in a templated field (at any depth of lists, tuples, sets and dicts) is rendered
with the try's context — `{{ ds }}`, `{{ ti.xcom_pull(task_ids='extract') }}`,
`{{ params.region }}`, `{{ macros.ds_add(ds, 1) }}` — in Jinja's sandbox with StrictUndefined,
Airflow's defaults, so a misspelt name fails the try instead of rendering as "". XComArgs are
replaced by their values (not rendered again). With the DAG's `render_template_as_native_obj`
a template that yields a list stays a list. The operator itself is left alone: a rendered copy
runs.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import jinja2
from jinja2.nativetypes import NativeEnvironment
from jinja2.sandbox import SandboxedEnvironment

from engines.dag.errors import AirflowException
from engines.dag.xcomarg import XComArg


class _NativeSandbox(SandboxedEnvironment, NativeEnvironment):
    """A sandboxed environment that keeps native Python values (render_template_as_native_obj)."""


def ds_add(ds: str, days: int) -> str:
    """Airflow's macros.ds_add: `ds_add('2015-01-01', 5)` is '2015-01-06'."""
    return (date.fromisoformat(ds) + timedelta(days=days)).isoformat()


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """Airflow's macros.ds_format."""
    return datetime.strptime(ds, input_format).strftime(output_format)


#: `{{ macros.* }}`: the macros a DAG file uses most (Airflow's airflow/sdk/execution_time/macros).
MACROS = SimpleNamespace(ds_add=ds_add, ds_format=ds_format, datetime=datetime, timedelta=timedelta, date=date)

_ENVS: dict[bool, jinja2.Environment] = {}


def environment(native: bool) -> jinja2.Environment:
    env = _ENVS.get(native)
    if env is None:
        cls = _NativeSandbox if native else SandboxedEnvironment
        env = _ENVS[native] = cls(undefined=jinja2.StrictUndefined, cache_size=400)
    return env


def render(value: Any, context: dict[str, Any], env: jinja2.Environment, where: str) -> Any:
    """`value` with its strings rendered and its XComArgs resolved."""
    if isinstance(value, XComArg):
        return value.resolve(context)
    if isinstance(value, str):
        if "{" not in value:
            return value
        try:
            return env.from_string(value).render(**context)
        except jinja2.TemplateError as exc:
            raise AirflowException(f"{where}: template {value!r}: {type(exc).__name__}: {exc}") from None
    if isinstance(value, list):
        return [render(v, context, env, where) for v in value]
    if isinstance(value, tuple):
        return tuple(render(v, context, env, where) for v in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(render(v, context, env, where) for v in value)
    if isinstance(value, dict):
        return {k: render(v, context, env, where) for k, v in value.items()}
    return value


def render_template_fields(task: Any, context: dict[str, Any]) -> Any:
    """A copy of `task` with its template_fields rendered for this try (or `task` if it has none)."""
    fields = getattr(task, "template_fields", ())
    if not fields:
        return task
    env = environment(bool(getattr(task.dag, "render_template_as_native_obj", False)))
    rendered = copy.copy(task)
    for name in fields:
        value = getattr(task, name, None)
        if value is not None:
            setattr(rendered, name, render(value, context, env, f"task {task.task_id}, field {name}"))
    return rendered

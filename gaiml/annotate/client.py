"""The few label-studio-sdk calls the loop uses, behind small functions.

The SDK is imported here, lazily: ``gaiml extract`` never pays for it. Calls measured against
Label Studio 1.23.2 with SDK 2.1.2 (see the README's "Active learning with Label Studio").
"""

from __future__ import annotations

import json

from ..errors import GaimlError

# Label Studio answers a task list page by page; a bound on the pages keeps every loop finite.
PAGE_SIZE = 100
MAX_PAGES = 10_000


class LabelStudioError(GaimlError):
    """The server could not be reached or refused a call."""


def _call(what: str, fn, *args, **kwargs):
    """Run one SDK call; an HTTP error becomes a LabelStudioError saying what was refused and why."""
    from label_studio_sdk.core.api_error import ApiError

    try:
        return fn(*args, **kwargs)
    except ApiError as exc:
        body = exc.body if isinstance(exc.body, dict) else {"detail": str(exc.body)[:300]}
        why = body.get("validation_errors") or body.get("detail") or body
        raise LabelStudioError(f"Label Studio refused to {what} (HTTP {exc.status_code}): {why}") from exc


def connect(url: str, api_key: str):
    """A client for the server at ``url`` (a legacy token or a personal access token)."""
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=url.rstrip("/"), api_key=api_key)
    try:
        client.versions.get()
    except Exception as exc:  # connection refused, 401: say which server and why
        raise LabelStudioError(f"Label Studio at {url}: {type(exc).__name__}: {exc}") from exc
    return client


def find_project(client, title: str):
    """The project titled exactly ``title``, or None (the server's title filter is a substring match)."""
    for n, project in enumerate(client.projects.list(title=title, page_size=PAGE_SIZE)):
        if project.title == title:
            return project
        if n >= MAX_PAGES * PAGE_SIZE:
            break
    return None


def ensure_project(client, title: str, label_config: str):
    """Reuse the project titled ``title`` or create it; returns (project, created)."""
    project = find_project(client, title)
    created = project is None
    if created:
        project = _call("create a project", client.projects.create, title=title, label_config=label_config,
                        description="gaiml active learning: label what the model is unsure of")
    return project, created


def set_model_version(client, project_id: int, model_version: str):
    """Make ``model_version`` the project's: the data manager shows and sorts by prediction
    scores of that version only. The server refuses a version no prediction carries yet."""
    return _call("set the model version", client.projects.update, id=project_id, model_version=model_version)


def import_tasks(client, project_id: int, tasks: list[dict]) -> list[int]:
    """Import tasks (with their predictions); returns the new task ids."""
    answer = _call("import tasks", client.projects.import_tasks, id=project_id, request=tasks, return_task_ids=True)
    return list(getattr(answer, "task_ids", None) or [])


def task_doc_ids(client, project_id: int) -> set[str]:
    """The doc ids already imported into the project, so a report is never pushed twice."""
    ids = set()
    for n, task in enumerate(client.tasks.list(project=project_id, page_size=PAGE_SIZE, fields="all")):
        data = task.data if not isinstance(task, dict) else task["data"]
        if data and data.get("doc_id"):
            ids.add(data["doc_id"])
        if n >= MAX_PAGES * PAGE_SIZE:
            break
    return ids


def list_tasks(client, project_id: int) -> list:
    """Every task of the project (objects with id, data, predictions)."""
    out = []
    for n, task in enumerate(client.tasks.list(project=project_id, page_size=PAGE_SIZE, fields="all")):
        out.append(task)
        if n >= MAX_PAGES * PAGE_SIZE:
            break
    return out


def create_annotation(client, task_id: int, result: list[dict], project_id: int | None = None):
    """Save an annotation on a task as an annotator's submit does."""
    kwargs = {"project": project_id} if project_id is not None else {}
    return _call("create an annotation", client.annotations.create, id=task_id, result=result, **kwargs)


def export_json(client, project_id: int) -> list[dict]:
    """The project's tasks with annotations and predictions, as Label Studio's JSON export."""
    raw = _call("export the project", client.projects.exports.as_json, project_id)
    return raw if isinstance(raw, list) else json.loads(raw)


def predictions_by_task(client, project_id: int) -> dict[int, list[dict]]:
    """The project's predictions as plain dicts, by task id (the JSON export gives only their ids)."""
    out: dict[int, list[dict]] = {}
    for p in _call("list predictions", client.predictions.list, project=project_id):
        out.setdefault(p.task, []).append({"id": p.id, "model_version": p.model_version, "score": p.score,
                                           "result": p.result})
    return out


def export_with_predictions(client, project_id: int) -> list[dict]:
    """The JSON export with each task's predictions written out in full."""
    export = export_json(client, project_id)
    predictions = predictions_by_task(client, project_id)
    for task in export:
        task["predictions"] = predictions.get(task["id"], [])
    return export


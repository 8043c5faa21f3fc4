"""Settings: explicit > environment > default, with every problem collected and reported at once."""

from __future__ import annotations

import pytest

from document_processor.settings import (
    DEFAULT_ALLOWED_CONTENT_TYPES,
    DEFAULT_MAX_DOCUMENT_BYTES,
    DEFAULT_MAX_UPLOAD_BYTES,
    MAX_DOCUMENT_BYTES_CEILING,
    MAX_UPLOAD_BYTES_CEILING,
    OwnerScope,
    load_settings,
)


def test_defaults_apply_when_only_the_bucket_and_table_are_set() -> None:
    settings = load_settings({"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue"})

    assert settings.problems == ()
    assert settings.documents_bucket == "docs"
    assert settings.catalogue_table == "catalogue"
    assert settings.max_document_bytes == DEFAULT_MAX_DOCUMENT_BYTES == 4_500_000
    assert settings.allowed_content_types == frozenset(DEFAULT_ALLOWED_CONTENT_TYPES)
    assert settings.log_level == "INFO"
    assert settings.metrics_namespace == "SecureDocumentApi"
    assert settings.service_name == "document-api"
    assert settings.owner_scope is OwnerScope.ROLE
    assert settings.problems == ()


def test_environment_values_are_read() -> None:
    settings = load_settings(
        {
            "DOCUMENTS_BUCKET": " docs ",
            "CATALOGUE_TABLE": " doc-processor-dev-catalogue ",
            "MAX_DOCUMENT_BYTES": "1000",
            "ALLOWED_CONTENT_TYPES": " application/pdf , TEXT/PLAIN ,",
            "LOG_LEVEL": "debug",
            "METRICS_NAMESPACE": "Custom",
            "POWERTOOLS_SERVICE_NAME": "svc",
        }
    )

    assert settings.documents_bucket == "docs"
    assert settings.catalogue_table == "doc-processor-dev-catalogue"
    assert settings.max_document_bytes == 1000
    assert settings.allowed_content_types == {"application/pdf", "text/plain"}
    assert settings.log_level == "DEBUG"
    assert (settings.metrics_namespace, settings.service_name) == ("Custom", "svc")


def test_explicit_values_win_over_the_environment() -> None:
    settings = load_settings(
        {
            "DOCUMENTS_BUCKET": "env",
            "CATALOGUE_TABLE": "env",
            "MAX_DOCUMENT_BYTES": "1000",
            "LOG_LEVEL": "ERROR",
        },
        documents_bucket="explicit",
        catalogue_table="explicit-table",
        max_document_bytes=2000,
        allowed_content_types=["image/png"],
        log_level="WARNING",
        metrics_namespace="Ns",
        service_name="name",
    )

    assert settings.documents_bucket == "explicit"
    assert settings.catalogue_table == "explicit-table"
    assert settings.max_document_bytes == 2000
    assert settings.allowed_content_types == {"image/png"}
    assert settings.log_level == "WARNING"
    assert (settings.metrics_namespace, settings.service_name) == ("Ns", "name")


def test_the_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCUMENTS_BUCKET", "from-os-environ")
    monkeypatch.setenv("CATALOGUE_TABLE", "table-from-os-environ")

    settings = load_settings()

    assert (settings.documents_bucket, settings.catalogue_table) == (
        "from-os-environ",
        "table-from-os-environ",
    )


@pytest.mark.parametrize("value", ["", "  "])
def test_a_missing_catalogue_table_is_a_problem(value: str) -> None:
    settings = load_settings({"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": value})

    assert settings.problems == ("CATALOGUE_TABLE is not set: set it to the catalogue table's name.",)
    assert settings.catalogue_table is None


def test_every_problem_is_reported_together() -> None:
    settings = load_settings(
        {
            "MAX_DOCUMENT_BYTES": "lots",
            "ALLOWED_CONTENT_TYPES": "image/gif,application/pdf",
            "LOG_LEVEL": "LOUD",
        }
    )

    assert settings.problems == (
        "DOCUMENTS_BUCKET is not set: set it to the documents bucket's name.",
        "CATALOGUE_TABLE is not set: set it to the catalogue table's name.",
        "MAX_DOCUMENT_BYTES must be an integer number of bytes, got 'lots'.",
        "ALLOWED_CONTENT_TYPES must be a non-empty comma-separated subset of application/pdf, image/jpeg, "
        "image/png, text/plain; unsupported: ['image/gif'].",
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'.",
    )
    assert settings.allowed_content_types == {"application/pdf"}
    assert settings.log_level == "INFO"


@pytest.mark.parametrize("value", ["0", "-5", str(MAX_DOCUMENT_BYTES_CEILING + 1)])
def test_size_limit_must_fit_a_lambda_payload(value: str) -> None:
    settings = load_settings(
        {"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue", "MAX_DOCUMENT_BYTES": value}
    )

    assert settings.problems == (
        f"MAX_DOCUMENT_BYTES must be between 1 and {MAX_DOCUMENT_BYTES_CEILING} "
        f"(what fits a Lambda payload as base64), got {int(value)}.",
    )


@pytest.mark.parametrize("value", ["0", str(MAX_UPLOAD_BYTES_CEILING + 1)])
def test_the_upload_limit_is_what_the_processor_handles_in_one_invocation(value: str) -> None:
    settings = load_settings(
        {"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue", "MAX_UPLOAD_BYTES": value}
    )

    assert settings.problems == (
        f"MAX_UPLOAD_BYTES must be between 1 and {MAX_UPLOAD_BYTES_CEILING} "
        f"(what the processor reads and copies in one invocation), got {int(value)}.",
    )
    assert settings.max_upload_bytes == DEFAULT_MAX_UPLOAD_BYTES
    assert MAX_UPLOAD_BYTES_CEILING == 20 * 1024**3
    assert (
        load_settings(
            {
                "DOCUMENTS_BUCKET": "docs",
                "CATALOGUE_TABLE": "catalogue",
                "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES_CEILING),
            }
        ).max_upload_bytes
        == MAX_UPLOAD_BYTES_CEILING
    )


def test_ceiling_leaves_room_for_base64_inside_six_mib() -> None:
    assert MAX_DOCUMENT_BYTES_CEILING * 4 / 3 < 6 * 1024 * 1024
    assert DEFAULT_MAX_DOCUMENT_BYTES <= MAX_DOCUMENT_BYTES_CEILING


def test_an_empty_allow_list_is_a_problem() -> None:
    settings = load_settings(
        {"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue"}, allowed_content_types=[" "]
    )

    assert len(settings.problems) == 1
    assert settings.problems[0].startswith("ALLOWED_CONTENT_TYPES must be a non-empty")


@pytest.mark.parametrize(
    ("raw", "scope"),
    [
        ("role", OwnerScope.ROLE),
        ("session", OwnerScope.SESSION),
        (" Session ", OwnerScope.SESSION),
        ("", OwnerScope.ROLE),
    ],
)
def test_owner_scope_is_read_from_the_environment(raw: str, scope: OwnerScope) -> None:
    settings = load_settings({"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue", "OWNER_SCOPE": raw})

    assert settings.owner_scope is scope
    assert settings.problems == ()


def test_an_explicit_owner_scope_wins_over_the_environment() -> None:
    settings = load_settings(
        {"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue", "OWNER_SCOPE": "role"},
        owner_scope="session",
    )

    assert settings.owner_scope is OwnerScope.SESSION


@pytest.mark.parametrize("raw", ["sessions", "user", "ROLE_SESSION", "*"])
def test_an_unknown_owner_scope_is_a_problem_not_a_guess(raw: str) -> None:
    settings = load_settings({"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue", "OWNER_SCOPE": raw})

    assert settings.problems == (
        f"OWNER_SCOPE must be one of role, session, got {raw!r}; an unknown scope is never guessed, "
        "since it decides who owns which documents.",
    )
    assert settings.owner_scope is OwnerScope.ROLE


@pytest.mark.parametrize(
    ("raw", "scanning"),
    [("on", True), (" ON ", True), ("off", False), ("Off", False), ("", False), ("  ", False)],
)
def test_malware_scanning_is_read_from_the_environment(raw: str, *, scanning: bool) -> None:
    settings = load_settings(
        {"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue", "MALWARE_SCANNING": raw}
    )

    assert settings.malware_scanning is scanning
    assert settings.problems == ()


def test_malware_scanning_is_off_by_default() -> None:
    settings = load_settings({"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue"})

    assert settings.malware_scanning is False


@pytest.mark.parametrize(("env", "explicit"), [("off", True), ("on", False), ("bogus", True)])
def test_an_explicit_malware_scanning_wins_over_the_environment(env: str, *, explicit: bool) -> None:
    settings = load_settings(
        {"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue", "MALWARE_SCANNING": env},
        malware_scanning=explicit,
    )

    assert settings.malware_scanning is explicit
    assert settings.problems == ()


@pytest.mark.parametrize("raw", ["true", "1", "yes", "enabled", "o n"])
def test_an_unknown_malware_scanning_value_is_a_problem_not_off(raw: str) -> None:
    settings = load_settings(
        {"DOCUMENTS_BUCKET": "docs", "CATALOGUE_TABLE": "catalogue", "MALWARE_SCANNING": raw}
    )

    assert settings.problems == (
        f"MALWARE_SCANNING must be one of on, off, got {raw!r}; a typo is never read as off, since off "
        "stores uploads unscanned.",
    )
    assert settings.malware_scanning is False

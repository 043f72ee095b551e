"""Factory and configuration behaviour."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.conftest import TEST_CONFIG
from wastebank import create_app
from wastebank.extensions import db
from wastebank.models import Member


def test_refuses_the_development_secret_key_in_production_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WASTEBANK_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_environment_variables_configure_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("WASTEBANK_SECRET_KEY", "from-the-environment-and-long-enough")
    monkeypatch.setenv("WASTEBANK_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("WASTEBANK_TOKEN_TTL_S", "600")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment-and-long-enough"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["TOKEN_TTL_S"] == 600  # JSON-parsed, an int


def test_foreign_keys_are_enforced_on_every_backend(db: Session) -> None:
    """SQLite ignores foreign keys unless each connection turns them on."""
    db.add(Member(bank_id=999_999, seq=1, member_no="X-000001", name="Orphan"))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_health_reports_a_broken_database_with_503() -> None:
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:9/none",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    with app.app_context():
        db.engine.dispose()

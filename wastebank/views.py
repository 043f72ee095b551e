"""Server-rendered web UI (Indonesian first): login, members, cards, card print sheet."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from wastebank import cards, driver_views, services
from wastebank.access import Action, Role
from wastebank.auth import (
    check_login,
    end_browser_session,
    start_browser_session,
    ui_actor,
)
from wastebank.exceptions import (
    AuthenticationFailed,
    InvalidReference,
    PermissionDenied,
    TooManyAttempts,
)
from wastebank.extensions import db
from wastebank.fields import page_number
from wastebank.schemas import (
    MemberCreateSchema,
    MemberQueryArgsSchema,
    TokenRequestSchema,
)

bp = Blueprint("wastebank", __name__)

PAGE_SIZE = 25


#: What a ``next=`` path may not contain: control characters (a newline would end up
#: in the Location header, which werkzeug refuses: a 500), spaces, and backslashes
#: (browsers read ``/\evil.example`` as ``//evil.example``, another site).
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def _safe_next(target: str | None) -> str:
    """Only same-site relative redirects after login (no open redirect)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not _UNSAFE_IN_NEXT.search(target)
    ):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    return url_for("wastebank.index")


@bp.get("/")
def index() -> Any:
    """Send people where their work is."""
    if not current_user.is_authenticated:
        return redirect(url_for("wastebank.login"))
    if current_user.role == Role.DRIVER:
        return driver_views.show_route()  # their start page is today's route
    return redirect(
        url_for(
            "counter.show_counter"
            if current_user.role in (Role.CASHIER, Role.MANAGER)
            else "wastebank.list_members"
        )
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; attempts are throttled like the API's (per address)."""
    if request.method != "POST":  # GET, and HEAD like it (HEAD is not CSRF-checked)
        if current_user.is_authenticated:
            return redirect(url_for("wastebank.index"))
        return render_template("wastebank/login.html")
    error, status, headers = None, 200, {}
    try:
        args = TokenRequestSchema().load(
            {
                "username": request.form.get("username", ""),
                "password": request.form.get("password", ""),
            }
        )
        user = check_login(args["username"], args["password"])
    except ValidationError:
        error, status = _("Please fill in your username and password."), 422
    except TooManyAttempts as exc:
        error, status = too_many_attempts_message(exc), 429
        headers["Retry-After"] = str(exc.retry_after_s)
    except AuthenticationFailed:
        error, status = _("Wrong username or password."), 401
    if error is not None:
        db.session.rollback()
        return render_template("wastebank/login.html", error=error), status, headers
    start_browser_session(user)
    return redirect(_safe_next(request.args.get("next")))


def too_many_attempts_message(error: TooManyAttempts) -> str:
    """The sentence a page shows for a locked login, in the reader's language."""
    return _(
        "Too many failed attempts. Try again in %(seconds)s seconds.",
        seconds=error.retry_after_s,
    )


@bp.post("/logout")
def logout() -> BaseResponse:
    """Log out: the session ends on the server too, so a copied cookie stops working."""
    end_browser_session()
    session.pop("lang", None)
    return redirect(url_for("wastebank.login"))


@bp.get("/lang/<code>")
def set_language(code: str) -> BaseResponse:
    """Switch the interface language (``id`` or ``en``) for this browser."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))


@bp.get("/members")
@login_required
def list_members() -> Any:
    """The member register with search by name, number or phone."""
    try:
        args = MemberQueryArgsSchema(as_form=True).load(
            {k: v for k, v in request.args.items() if k in ("bank", "q")}
        )
    except ValidationError:
        args = {"bank": None, "q": None}
    page = request.args.get("page", 1, type=page_number)
    actor = ui_actor()
    try:
        members, total = services.search_members(
            db.session,
            actor,
            bank=args["bank"],
            q=args["q"],
            page=page,
            page_size=PAGE_SIZE,
        )
    except (InvalidReference, PermissionDenied):
        members, total = [], 0
        flash(_("That bank is not one of yours."), "error")
    banks = services.list_banks(db.session, actor)
    return render_template(
        "wastebank/members/list.html",
        members=members,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        q=args["q"] or "",
        bank=args["bank"] or "",
        banks=banks,
        can_write=actor.can(Action.MEMBERS_WRITE),
    )


@bp.route("/members/new", methods=["GET", "POST"])
@login_required
def create_member() -> Any:
    """The new-member form, validated by the API's schema."""
    actor = ui_actor()
    if not actor.can(Action.MEMBERS_WRITE):
        abort(403)
    banks = [
        b
        for b in services.list_banks(db.session, actor)
        if b.kind == "unit" or actor.role != Role.DLH
    ]
    if request.method != "POST":  # GET, and HEAD like it (HEAD is not CSRF-checked)
        return render_template(
            "wastebank/members/new.html", banks=banks, form={}, errors={}
        )
    form = request.form.to_dict()
    form.pop("csrf_token", None)
    try:
        member = services.register_member(
            db.session, actor, **MemberCreateSchema(as_form=True).load(form)
        )
    except ValidationError as exc:
        return render_template(
            "wastebank/members/new.html", banks=banks, form=form, errors=exc.messages
        ), 422
    except (InvalidReference, PermissionDenied):
        return render_template(
            "wastebank/members/new.html",
            banks=banks,
            form=form,
            errors={"bank": [_("Choose one of your banks.")]},
        ), 422
    db.session.commit()
    flash(
        _(
            "Member %(name)s registered as %(number)s.",
            name=member.name,
            number=member.member_no,
        ),
        "success",
    )
    return redirect(url_for("wastebank.get_member", member_id=member.id))


@bp.get("/members/<int:member_id>")
@login_required
def get_member(member_id: int) -> Any:
    """A member's page with their card."""
    actor = ui_actor()
    member = services.get_member(db.session, actor, member_id)
    return render_template(
        "wastebank/members/detail.html",
        member=member,
        card=member.active_card,
        can_reissue=actor.can(Action.CARDS_REISSUE),
    )


@bp.get("/members/<int:member_id>/card.png")
@login_required
def get_card_png(member_id: int) -> Response:
    card = services.member_card(db.session, ui_actor(), member_id)
    db.session.commit()
    return Response(cards.qr_png(card.token), mimetype="image/png")


@bp.get("/members/<int:member_id>/card.svg")
@login_required
def get_card_svg(member_id: int) -> Response:
    card = services.member_card(db.session, ui_actor(), member_id)
    db.session.commit()
    return Response(cards.qr_svg(card.token), mimetype="image/svg+xml")


@bp.post("/members/<int:member_id>/card/reissue")
@login_required
def reissue_card(member_id: int) -> BaseResponse:
    """Replace a lost card; the old one stops working at once."""
    services.reissue_card(db.session, ui_actor(), member_id)
    db.session.commit()
    flash(_("A new card was issued. The old card no longer works."), "success")
    return redirect(url_for("wastebank.get_member", member_id=member_id))


@bp.get("/banks/<bank_code>/cards")
@login_required
def print_cards(bank_code: str) -> Any:
    """A bank's member cards laid out on A4 sheets (8 per sheet) for cutting."""
    bank, members = services.bank_cards(db.session, ui_actor(), bank_code)
    sheets = [members[i : i + 8] for i in range(0, len(members), 8)]
    return render_template("wastebank/cards_sheet.html", bank=bank, sheets=sheets)

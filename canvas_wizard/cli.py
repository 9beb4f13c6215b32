"""Command line: the GUI with no subcommand, the same core for scripts with one.

Exit status: 0 success; 1 failed; 2 usage or input error (nothing done);
4 authorization needed (run ``canvas-wizard authorize NAME``); 5 syncing is paused. Errors go to
stderr as the same sentences the GUI shows. Secrets are never arguments: the
client secret comes from a prompt, or from stdin with --client-secret-stdin.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import threading
import webbrowser
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from canvas_wizard import APP_TITLE, __version__
from canvas_wizard.core.auth import DEFAULT_REDIRECT_PORT, OAuthError, redirect_uri_for
from canvas_wizard.core.canvas import AccountNode, check_sync_permissions
from canvas_wizard.core.canvas.auth_providers import UnknownProvider, choose_sign_in
from canvas_wizard.core.errors import UsageError, WizardError
from canvas_wizard.core.paths import AppPaths, app_paths
from canvas_wizard.core.settings import load_settings_or_defaults
from canvas_wizard.core.setup import SetupSession, developer_key_values
from canvas_wizard.core.store import Profile, ProfileStore, SecretKind, SecretStore

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 4

log = logging.getLogger("canvas_wizard.cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit status is 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="canvas-wizard",
        description=f"{APP_TITLE}: connect Cloudwork accounts to Canvas LMS. "
        "With no command, opens the app window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config-dir",
        metavar="DIR",
        help="keep config, data and logs under DIR (default: the system's folders; "
        "or set CANVAS_WIZARD_HOME)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app against a built-in demo Canvas on this computer",
    )
    parser.add_argument(
        "--session-only",
        action="store_true",
        help="keep secrets in memory for this run only (when no keyring is available)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation (Qt offscreen, the setup wizard, keyring, TLS) and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    profile = sub.add_parser("profile", help="add, list, show or remove setups")
    psub = profile.add_subparsers(
        dest="profile_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    add = psub.add_parser(
        "add", help="add a setup (the Client Secret is asked for, never an argument)"
    )
    add.add_argument("name")
    add.add_argument("--canvas-url", required=True)
    add.add_argument("--client-id", required=True)
    add.add_argument(
        "--redirect-port",
        type=int,
        default=None,
        help=f"the loopback port for signing in (default: Settings, else {DEFAULT_REDIRECT_PORT})",
    )
    add.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the Client Secret from standard input",
    )
    add.add_argument(
        "--no-check", action="store_true", help="do not contact Canvas to check the address"
    )
    psub.add_parser("list", help="list setups").add_argument("--json", action="store_true")
    show = psub.add_parser("show", help="show one setup")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    psub.add_parser("remove", help="remove a setup and its secrets").add_argument("name")

    auth = sub.add_parser("authorize", help="sign in to Canvas in the browser")
    auth.add_argument("name")
    auth.add_argument(
        "--no-browser",
        action="store_true",
        help="print the sign-in link instead of opening a browser; paste back the address it ends on",
    )
    auth.add_argument("--timeout", type=float, default=300.0, help=argparse.SUPPRESS)

    acc = sub.add_parser("accounts", help="list the Canvas accounts you can sync into")
    acc.add_argument("name")
    acc.add_argument("--json", action="store_true")

    con = sub.add_parser("connect", help="choose the Canvas account to sync into")
    con.add_argument("name")
    con.add_argument("--account", type=int, required=True, metavar="ID")
    con.add_argument(
        "--auth-provider",
        metavar="ID|canvas|any",
        help="the sign-in provider new logins use: a provider id from Canvas, canvas "
        "(Canvas passwords) or any (none in particular). Default: the account's only "
        "single sign-on provider if it has exactly one, else any",
    )

    st = sub.add_parser("status", help="show whether a setup is ready to sync")
    st.add_argument("name")
    st.add_argument("--json", action="store_true")

    sub.add_parser(
        "disconnect", help="sign out: revoke the tokens and forget the secrets"
    ).add_argument("name")

    from canvas_wizard.cli_sync import add_sync_commands

    add_sync_commands(sub)
    from canvas_wizard.cli_schedule import add_schedule_commands

    add_schedule_commands(sub)

    from canvas_wizard.cli_undo import add_undo_command

    add_undo_command(sub)

    bundle = sub.add_parser(
        "support-bundle",
        help="save a zip with versions, setups, run summaries and recent logs (no secrets)",
    )
    bundle.add_argument("name", nargs="?", help="the setup to include (default: every setup)")
    bundle.add_argument("--output", metavar="FILE.zip", help="where to save it")
    return parser


def run(argv: Sequence[str], *, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    inp = stdin or sys.stdin
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.self_test:
        from canvas_wizard.selftest import run_self_test

        return run_self_test(out)
    if args.command is None:
        from canvas_wizard.desktop_libraries import desktop_problem, tell_desktop

        problem = desktop_problem()
        if problem is not None:
            # Without this, Qt prints "could not load the Qt platform plugin" and aborts.
            print(problem, file=sys.stderr)
            tell_desktop(problem)
            return 1
        from canvas_wizard.app import run_gui

        return run_gui(config_dir=args.config_dir, demo=args.demo, session_only=args.session_only)
    if args.demo:
        parser.error("--demo opens the app window; it does not go with a command")
    paths = app_paths(args.config_dir).ensure()
    from canvas_wizard.core.settings import load_settings_or_defaults
    from canvas_wizard.logs import setup_logging, shutdown_logging

    settings, settings_problem = load_settings_or_defaults(paths)
    setup_logging(paths, settings.log_level)
    log.info("canvas-wizard %s: command %s", __version__, args.command)
    if settings_problem is not None:
        log.warning("Using default settings: %s", settings_problem)
    try:
        return _dispatch(args, paths, inp, out)
    except WizardError as exc:
        log.warning("Command %s failed: %s", args.command, exc.message)
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    except Exception:
        log.exception("Command %s stopped on an unexpected error", args.command)
        raise
    finally:
        shutdown_logging()


def _dispatch(args: argparse.Namespace, paths: AppPaths, inp: TextIO, out: TextIO) -> int:
    store = ProfileStore(paths)
    secrets = SecretStore(session_only=args.session_only)
    cmd = args.command
    if cmd == "profile":
        return _profile(args, store, secrets, inp, out)
    if cmd == "support-bundle":
        return _support_bundle(args, paths, secrets, out)
    if cmd in ("sync", "history"):
        from canvas_wizard import cli_sync

        runner = cli_sync.run_sync_command if cmd == "sync" else cli_sync.run_history_command
        return runner(args, paths, out)
    if cmd in ("schedule", "pause", "resume"):
        from canvas_wizard.cli_schedule import run_schedule_command

        return run_schedule_command(args, paths, out)
    if cmd == "undo":
        from canvas_wizard.cli_undo import run_undo_command

        return run_undo_command(args, paths, out)
    profile = store.get(args.name)
    if cmd == "status":
        return _status(profile, store, secrets, out, as_json=args.json)
    session = SetupSession(store, secrets, profile)
    try:
        if cmd == "authorize":
            return _authorize(session, inp, out, no_browser=args.no_browser, timeout=args.timeout)
        if cmd == "accounts":
            return _accounts(session, out, as_json=args.json)
        if cmd == "connect":
            return _connect(session, args.account, out, args.auth_provider)
        if cmd == "disconnect":
            try:
                session.token_manager().disconnect()
            finally:
                # The tokens and secret are forgotten here even when Canvas could not be told.
                profile.signed_in_as = None
                store.save(profile)
            print(
                f"Signed out of {profile.canvas_url}; tokens revoked and secrets forgotten.",
                file=out,
            )
            return EXIT_OK
    finally:
        session.close()
    raise AssertionError(cmd)


def _support_bundle(
    args: argparse.Namespace, paths: AppPaths, secrets: SecretStore, out: TextIO
) -> int:
    from pathlib import Path

    from canvas_wizard.support import build_support_bundle, default_bundle_name

    output = Path(args.output or default_bundle_name())
    result = build_support_bundle(
        paths, output, secrets=secrets, profile_names=[args.name] if args.name else None
    )
    print(f"Saved the support bundle to {result.path.resolve()}", file=out)
    print("It holds no client secret, token or authorization code.", file=out)
    return EXIT_OK


def _read_secret(args: argparse.Namespace, inp: TextIO) -> str:
    if args.client_secret_stdin:
        secret = inp.readline().strip()
    else:
        if not inp.isatty():
            raise UsageError(
                "No terminal to ask for the Client Secret.",
                hint="Pipe it in and add --client-secret-stdin.",
            )
        secret = getpass.getpass("Client Secret (input hidden): ").strip()
    if not secret:
        raise UsageError(
            "The Client Secret is empty.", hint="Copy it from Show Key in Canvas's Developer Keys."
        )
    return secret


def _profile(
    args: argparse.Namespace, store: ProfileStore, secrets: SecretStore, inp: TextIO, out: TextIO
) -> int:
    action = args.profile_command
    if action == "add":
        if store.exists(args.name):
            raise UsageError(
                f"A setup called {args.name!r} already exists.",
                hint="Choose another name, or remove it first with: canvas-wizard profile remove NAME",
            )
        secrets.check()
        profile = Profile(
            name=args.name,
            canvas_url="",
            client_id="",
            redirect_port=args.redirect_port
            or load_settings_or_defaults(store.paths)[0].redirect_port,
        )
        session = SetupSession(store, secrets, profile)
        try:
            if args.no_check:
                from canvas_wizard.core.canvas import normalize_canvas_url

                profile.canvas_url = normalize_canvas_url(args.canvas_url)
            else:
                session.check_address(args.canvas_url)
            secret = _read_secret(args, inp)
            session.set_credentials(args.client_id, secret)
        finally:
            session.close()
        values = developer_key_values(profile)
        print(f"Added {profile.name!r} for {profile.canvas_url}.", file=out)
        print(f"The developer key's Redirect URI must be exactly: {values.redirect_uri}", file=out)
        print(f"Next: canvas-wizard authorize {profile.name}", file=out)
        return EXIT_OK
    if action == "list":
        profiles = store.list()
        if args.json:
            json.dump([_profile_json(p, store.paths) for p in profiles], out, indent=2)
            out.write("\n")
        elif not profiles:
            print("No setups yet. Open the app, or: canvas-wizard profile add NAME ...", file=out)
        for p in profiles if not args.json else []:
            account = (
                f"account {p.account.id} {p.account.name}" if p.account else "no account chosen"
            )
            print(f"{p.name}\t{p.canvas_url}\t{account}", file=out)
        return EXIT_OK
    if action == "show":
        p = store.get(args.name)
        if args.json:
            json.dump(_profile_json(p, store.paths), out, indent=2)
            out.write("\n")
        else:
            for key, value in _profile_json(p, store.paths).items():
                print(f"{key}: {value}", file=out)
        return EXIT_OK
    if action == "remove":
        p = store.get(args.name)
        from canvas_wizard.core.schedule.manage import forget_unattended

        # First the scheduler's entry: left behind, it would fail every night.
        unscheduled = forget_unattended(store.paths, p.name)
        secrets.forget_all(p)
        store.remove(p.name)
        print(f"Removed {p.name!r} and its saved secrets.", file=out)
        if unscheduled:
            print(f"Removed its scheduled sync from {unscheduled}.", file=out)
        return EXIT_OK
    raise AssertionError(action)


def _profile_json(p: Profile, paths: AppPaths) -> dict[str, Any]:
    from canvas_wizard.core.schedule.pause import PauseStore

    pause = PauseStore(paths).get(p.name)
    return {
        "name": p.name,
        "canvas_url": p.canvas_url,
        "client_id": p.client_id,
        "redirect_uri": redirect_uri_for(p.redirect_port),
        "signed_in_as": p.signed_in_as,
        "account": None
        if p.account is None
        else {"id": p.account.id, "name": p.account.name, "is_root": p.account.is_root},
        "paused": None if pause is None else pause.to_json(),
        "sign_in_provider": p.options.get("sign_in_provider"),
    }


def _authorize(
    session: SetupSession, inp: TextIO, out: TextIO, *, no_browser: bool, timeout: float
) -> int:
    try:
        request = session.start_sign_in(timeout=timeout)
    except OAuthError as exc:
        if exc.code != "port_in_use" or not no_browser:
            raise
        request = session.start_sign_in(listen=False, timeout=timeout)
    print("Sign in to Canvas and click Authorize:", file=out)
    print(f"  {request.url}", file=out)
    out.flush()
    if no_browser:
        signed_in = _wait_or_paste(session, inp, out)
    else:
        threading.Thread(
            target=webbrowser.open, args=(request.url,), kwargs={"new": 2}, daemon=True
        ).start()
        print(f"Waiting up to {int(timeout)} s for the browser to come back…", file=out)
        signed_in = session.wait_for_sign_in()
    print(f"Signed in as {signed_in.user_name}.", file=out)
    if session.profile.account is None:
        print(f"Next: canvas-wizard accounts {session.profile.name}", file=out)
    return EXIT_OK


def _wait_or_paste(session: SetupSession, inp: TextIO, out: TextIO) -> Any:
    """Remote sessions: whichever comes first, the loopback redirect or a pasted address."""
    print(
        "Open it in any browser. When it ends on a page that cannot be reached, copy the whole "
        "address from the address bar and paste it here, then press Enter:",
        file=out,
    )
    out.flush()
    result: dict[str, Any] = {}
    done = threading.Event()

    def run(key: str, fn: Callable[[], Any]) -> None:
        try:
            result.setdefault(key, fn())
        except BaseException as exc:
            result.setdefault(key + "_error", exc)
        finally:
            done.set()

    threading.Thread(target=run, args=("loopback", session.wait_for_sign_in), daemon=True).start()
    line = ""
    reader = threading.Thread(target=lambda: result.setdefault("line", inp.readline()), daemon=True)
    reader.start()
    while not done.is_set() and reader.is_alive():
        reader.join(0.1)
    if "loopback" in result:
        return result["loopback"]
    line = str(result.get("line", "")).strip()
    if line:
        return session.finish_with_pasted(line)
    done.wait()
    if "loopback" in result:
        return result["loopback"]
    error = result.get("loopback_error")
    if isinstance(error, BaseException):
        raise error
    raise UsageError("Nothing was pasted.", hint="Run the command again and paste the address.")


def _accounts(session: SetupSession, out: TextIO, *, as_json: bool) -> int:
    nodes = session.list_accounts()
    if as_json:
        json.dump([_node_json(n) for n in nodes], out, indent=2)
        out.write("\n")
        return EXIT_OK
    if not nodes:
        print("You are not an administrator of any Canvas account.", file=out)
        return EXIT_FAILED

    def show(node: AccountNode, depth: int) -> None:
        acc = node.account
        kind = "root" if acc.is_root else "sub-account"
        print(f"{'  ' * depth}{acc.id}\t{acc.name} ({kind})", file=out)
        for child in node.children:
            show(child, depth + 1)

    for node in nodes:
        show(node, 0)
    print(f"Choose one with: canvas-wizard connect {session.profile.name} --account ID", file=out)
    return EXIT_OK


def _node_json(node: AccountNode) -> dict[str, Any]:
    acc = node.account
    return {
        "id": acc.id,
        "name": acc.name,
        "parent_account_id": acc.parent_account_id,
        "is_root": acc.is_root,
        "children": [_node_json(c) for c in node.children],
    }


def _find(nodes: list[AccountNode], account_id: int) -> AccountNode | None:
    for node in nodes:
        if node.account.id == account_id:
            return node
        found = _find(node.children, account_id)
        if found is not None:
            return found
    return None


def _connect(
    session: SetupSession, account_id: int, out: TextIO, auth_provider: str | None = None
) -> int:
    node = _find(session.list_accounts(), account_id)
    if node is None:
        raise UsageError(
            f"Account {account_id} is not one you administer in {session.profile.canvas_url}.",
            hint=f"List them with: canvas-wizard accounts {session.profile.name}",
        )
    report = check_sync_permissions(session.client(), node.account)
    root_id = node.account.root_id or node.account.id
    try:
        sign_in = choose_sign_in(session.client(), root_id, auth_provider)
    except UnknownProvider as exc:
        raise UsageError(
            f"--auth-provider: {exc}.", hint="Leave it out to use the default."
        ) from None
    session.connect(node.account, sign_in.setting)
    kind = "root account" if node.account.is_root else "sub-account"
    print(
        f"Connected {session.profile.name!r} to {node.account.name} ({kind}, id {account_id}).",
        file=out,
    )
    print(f"New logins sign in with: {sign_in.setting['label']}.", file=out)
    if sign_in.warning:
        print(f"Warning: {sign_in.warning}", file=sys.stderr)
    for label in report.missing:
        print(f"Warning: you are missing a permission a sync needs: {label}", file=sys.stderr)
    for cost in report.costs:
        print(f"Note: {cost}", file=sys.stderr)
    return EXIT_OK if not report.missing else EXIT_FAILED


def _status(
    profile: Profile, store: ProfileStore, secrets: SecretStore, out: TextIO, *, as_json: bool
) -> int:
    has_secret = secrets.get(profile, SecretKind.CLIENT_SECRET) is not None
    has_token = secrets.get(profile, SecretKind.REFRESH_TOKEN) is not None
    ready = bool(
        profile.canvas_url and profile.client_id and has_secret and has_token and profile.account
    )
    data = _profile_json(profile, store.paths) | {
        "client_secret_saved": has_secret,
        "signed_in": has_token,
        "ready_to_sync": ready,
        "secrets_kept_in": secrets.backend_name,
    }
    if as_json:
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        for key, value in data.items():
            print(f"{key}: {value}", file=out)
    if not has_token:
        return EXIT_AUTH
    return EXIT_OK

"""The page under its Content-Security-Policy: served with it, and inline script refused
with a console report (what the console check of conftest.py fails a test on)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.browser.conftest import csp_violations
from tests.browser.pages import ms, new_user
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.browser


async def test_the_page_is_served_under_a_strict_policy_that_refuses_inline_script(
    browser: Browser, server: ServerProcess
) -> None:
    user = await new_user(browser, "csp", "Csp Checker")
    page = await user.new_page()
    try:
        response = await page.goto(f"{server.base_url}/#/signin")
        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        await page.wait_for_function("() => window.stellar !== undefined", timeout=ms(10))
        assert csp_violations([m.text for m in await page.console_messages()]) == []

        ran = await page.evaluate("""() => {
            const script = document.createElement('script');
            script.textContent = 'window.injected = true';
            document.body.append(script);
            return window.injected === true;
        }""")
        assert ran is False
        assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
        violations = csp_violations([m.text for m in await page.console_messages()])
        assert violations, "the inline script was refused without a console report"
        await page.clear_console_messages()  # seen on purpose; the autouse check stays green
    finally:
        await user.context.close()

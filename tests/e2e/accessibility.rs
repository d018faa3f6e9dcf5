//! Issue 15: axe-core (the npm package, `ui/node_modules/axe-core/axe.min.js`) injected into
//! every screen through WebDriver, in the light and the dark theme: no serious or critical
//! violation; and every screen walked with Tab: each control reached once, in document order.
//! (That each control is operable from the keyboard is checked at build time: svelte-check
//! runs with `--fail-on-warnings`, and its a11y rules refuse a click handler on an element
//! that is not a control, or a control without a keyboard equivalent.)

use std::path::PathBuf;

use engage_e2e::flows::{create_campaign, start_sandbox};
use engage_e2e::{E2eError, E2eResult, Harness};
use fantoccini::actions::InputSource;
use serde_json::Value;

/// Every screen after sign-in, in a walk from the campaign list: the clicks that open it from
/// the one before, and what shows it is there.
const SCREENS: &[(&str, &[&str], &str)] = &[
    ("campaigns", &["nav-campaigns"], "campaign-list"),
    ("documentation", &["row-docs"], "integration-panel"),
    ("insights", &["open-insights"], "insights-totals"),
    (
        "activity",
        &["nav-campaigns", "row-docs", "open-activity"],
        "nav-campaigns",
    ),
    (
        "new campaign",
        &["nav-campaigns", "new-campaign"],
        "campaign-name",
    ),
    ("do not message", &["nav-opt-outs"], "nav-opt-outs"),
    ("team", &["nav-team"], "nav-team"),
    ("audit log", &["nav-audit"], "nav-audit"),
    ("account", &["nav-account"], "nav-account"),
    ("settings", &["nav-settings"], "shortcut-list"),
    ("campaigns again", &["nav-campaigns"], "campaign-list"),
];

/// axe-core as the UI's npm packages installed it.
fn axe_source() -> E2eResult<String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).map_err(E2eError::io(format!(
        "reading {} (run npm --prefix ui ci)",
        path.display()
    )))
}

/// Runs axe on the page as it is; the serious and critical violations, one line each.
async fn serious_violations(app: &engage_e2e::App<'_>, axe: &str) -> E2eResult<Vec<String>> {
    app.script(&format!("if (!window.axe) {{ {axe} }}")).await?;
    let found = app
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then((r) => done(r.violations
                 .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                 .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 6).map((n) => n.target.join(' ') + (n.any[0] && n.any[0].data && n.any[0].data.contrastRatio ? ` (${n.any[0].data.fgColor} on ${n.any[0].data.bgColor}: ${n.any[0].data.contrastRatio}, ${n.any[0].data.fontSize})` : '')).join(' | ')}`)))
               .catch((e) => done([`axe failed: ${e}`]));",
            Vec::new(),
        )
        .await
        .map_err(E2eError::webdriver("running axe-core"))?;
    Ok(found
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

#[tokio::test]
async fn every_screen_has_no_serious_accessibility_violation_in_either_theme() -> E2eResult<()> {
    let Some(h) = Harness::start("15-accessibility").await? else {
        return Ok(());
    };
    let axe = axe_source()?;
    let app = h.launch().await?;
    let mut problems = Vec::new();
    app.visible("sandbox-start").await?;
    for line in serious_violations(&app, &axe).await? {
        problems.push(format!("[system] first screen: {line}"));
    }
    start_sandbox(&app).await?;
    create_campaign(&app, "Acessibilidade").await?;
    for theme in ["light", "dark"] {
        app.click("nav-settings").await?;
        app.click(&format!("settings-theme-{theme}")).await?;
        for (screen, clicks, shown) in SCREENS {
            for id in *clicks {
                app.click(id).await?;
            }
            app.visible(shown).await?;
            // Let the screen load what it shows (lists, the integration log).
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            app.shot(&format!("{theme}-{screen}")).await?;
            for line in serious_violations(&app, &axe).await? {
                problems.push(format!("[{theme}] {screen}: {line}"));
            }
        }
    }
    // The first screen in the dark theme.
    app.click("nav-settings").await?;
    app.click("sign-out").await?;
    app.visible("sandbox-start").await?;
    for line in serious_violations(&app, &axe).await? {
        problems.push(format!("[dark] first screen: {line}"));
    }
    assert!(
        problems.is_empty(),
        "serious or critical accessibility violations:\n{}",
        problems.join("\n")
    );
    h.quit(app).await
}

/// The `data-testid` (else the tag) of the focused element.
async fn focused(app: &engage_e2e::App<'_>) -> E2eResult<String> {
    let value = app
        .script(
            "const e = document.activeElement; return e ? (e.dataset.testid || e.id || e.tagName.toLowerCase()) : '';",
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn the_documentation_screen_is_walked_with_tab_in_reading_order() -> E2eResult<()> {
    let Some(h) = Harness::start("15-keyboard-order").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, "Teclado").await?;
    app.visible("integration-refused-only").await?;
    // From the top of the window, Tab by Tab.
    app.script("if (document.activeElement) document.activeElement.blur();")
        .await?;
    let mut order = Vec::new();
    for _ in 0..120 {
        let element = app
            .client()
            .active_element()
            .await
            .map_err(E2eError::webdriver("finding the focused element"))?;
        element
            .send_keys(&fantoccini::key::Key::Tab.to_string())
            .await
            .map_err(E2eError::webdriver("pressing Tab"))?;
        let now = focused(&app).await?;
        if now == "callback-url" {
            break;
        }
        order.push(now);
    }
    // The controls the hand-off needs, each reached, in the order they are read.
    let expected = [
        "open-activity",
        "campaign-toggle-status",
        "integration-refused-only",
        "recipient-input",
        "copy-token-curl",
        "copy-send-curl",
        "share-include-secret",
        "share-guide-html",
        "share-guide-markdown",
    ];
    let positions: Vec<Option<usize>> = expected
        .iter()
        .map(|id| order.iter().position(|seen| seen == id))
        .collect();
    assert!(
        positions.iter().all(Option::is_some),
        "not every control was reached with Tab: {expected:?} in {order:?}"
    );
    let positions: Vec<usize> = positions.into_iter().flatten().collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "the Tab order is not the reading order: {order:?}"
    );
    h.quit(app).await
}

/// Marks, in document order, every control a Tab press should reach (visible, enabled, not
/// `tabindex="-1"`; of a radio group only the checked radio) with `data-tab-stop`; returns
/// their labels (test id, else tag and text), in that order.
const MARK_TAB_STOPS: &str = r#"
  // Inside a closed <details> only its summary shows.
  const folded = (e) => { const d = e.closest('details:not([open])'); const s = e.closest('summary'); return !!d && !(s && s.parentElement === d); };
  const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && !folded(e);
  const candidates = document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]');
  const stops = [];
  for (const e of candidates) {
    e.removeAttribute('data-tab-stop');
    if (e.disabled || e.tabIndex < 0 || e.type === 'hidden' || !visible(e) || e.closest('[inert]')) continue;
    if (e.type === 'radio' && e.name) {
      const group = Array.from(document.querySelectorAll(`input[type=radio][name="${CSS.escape(e.name)}"]`));
      const stop = group.find((r) => r.checked && !r.disabled) || group.find((r) => !r.disabled);
      if (e !== stop) continue;
    }
    e.setAttribute('data-tab-stop', String(stops.length));
    stops.push(e.dataset.testid || `${e.tagName.toLowerCase()} "${(e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 30)}"`);
  }
  const first = document.querySelector('[data-tab-stop="0"]');
  if (first) first.focus();
  return stops;
"#;

/// Focuses the first control and presses Tab until every control had its turn (a date field
/// takes several presses: one per part); the problems found: a control never reached, or
/// reached out of document order.
async fn tab_walk_problems(app: &engage_e2e::App<'_>, screen: &str) -> E2eResult<Vec<String>> {
    let stops: Vec<String> = app
        .script(MARK_TAB_STOPS)
        .await?
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    // The stops in the order Tab visits them, each once however many presses it takes.
    let mut round: Vec<usize> = vec![0];
    for _ in 0..3 * stops.len() + 5 {
        if round.len() >= stops.len() {
            break;
        }
        // A key press of the keyboard, not "send keys to an element" (which would focus the
        // element first: the first part of a date field again and again).
        let tab = char::from(fantoccini::key::Key::Tab);
        let press = fantoccini::actions::KeyActions::new("keyboard".into())
            .then(fantoccini::actions::KeyAction::Down { value: tab })
            .then(fantoccini::actions::KeyAction::Up { value: tab });
        app.client()
            .perform_actions(press)
            .await
            .map_err(E2eError::webdriver("pressing Tab"))?;
        let stop = app
            .script("const e = document.activeElement; return e ? e.getAttribute('data-tab-stop') : null;")
            .await?;
        let stop = stop
            .as_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(usize::MAX);
        if round.last() != Some(&stop) {
            round.push(stop);
        }
    }
    if round == (0..stops.len()).collect::<Vec<_>>() {
        return Ok(Vec::new());
    }
    let label = |stop: &usize| {
        stops
            .get(*stop)
            .cloned()
            .unwrap_or_else(|| "(outside the page's controls)".into())
    };
    let missed: Vec<&String> = stops
        .iter()
        .enumerate()
        .filter(|(i, _)| !round.contains(i))
        .map(|(_, name)| name)
        .collect();
    Ok(vec![format!(
        "{screen}: Tab went {:?}; never reached: {missed:?}",
        round.iter().map(label).collect::<Vec<_>>()
    )])
}

#[tokio::test]
async fn every_screen_is_walked_with_tab_to_each_control_once_in_document_order() -> E2eResult<()> {
    let Some(h) = Harness::start("15-tab-walk").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    app.visible("sandbox-start").await?;
    let mut problems = tab_walk_problems(&app, "first screen").await?;
    start_sandbox(&app).await?;
    create_campaign(&app, "Teclado em toda tela").await?;
    for (screen, clicks, shown) in SCREENS {
        for id in *clicks {
            app.click(id).await?;
        }
        app.visible(shown).await?;
        // Let the screen load what it shows (lists, the integration log).
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        problems.extend(tab_walk_problems(&app, screen).await?);
    }
    assert!(
        problems.is_empty(),
        "keyboard walk problems:\n{}",
        problems.join("\n")
    );
    h.quit(app).await
}

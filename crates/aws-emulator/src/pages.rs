//! The HTML every browser-facing page of the emulator is wrapped in, and HTML escaping.
//!
//! Promises: every value put into a page goes through [`escape`]; pages carry stable ids and
//! `data-*` attributes that tests read (`#instance-id`, `#connect-user`, …) rather than prose.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page; `body` is trusted HTML built with [`escape`].
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f2f3f3;color:#16191f}}
header{{background:#232f3e;color:#fff;padding:.8rem 1.5rem;font-weight:600}}
header small{{font-weight:400;opacity:.8;margin-left:.6rem}}
main{{max-width:42rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}}
h1{{font-size:1.4rem;margin-top:0}}
button{{font:inherit;padding:.5rem 1.2rem;border-radius:20px;border:1px solid #0972d3;background:#0972d3;color:#fff;cursor:pointer;margin-right:.5rem}}
button.secondary{{background:#fff;color:#0972d3}}
label{{display:block;margin:.4rem 0}}
code,.mono{{font-family:ui-monospace,monospace;background:#f2f3f3;padding:.1rem .3rem;border-radius:3px}}
dl{{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}} dt{{font-weight:600}}
.error{{color:#d91515}}
</style></head>
<body><header>AWS emulator<small>{title}</small></header><main>
{body}
</main></body></html>"#,
        title = escape(title),
    );
    (status, Html(html)).into_response()
}

/// A page that says something went wrong, with a hint.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        &format!(
            r#"<h1 id="error-title">{}</h1><p id="error-message" class="error">{}</p>"#,
            escape(title),
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}

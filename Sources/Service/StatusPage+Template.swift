extension StatusPage {
    /// The page's Mustache template. Kept in the code rather than as a resource file, so that a copied
    /// `qpae` binary serves its page without a resource bundle beside it.
    static let templateText = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>qpae serve: erasure requests</title>
    <style>
    body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
    table { border-collapse: collapse; margin: 0.5em 0 1.5em; } th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; text-align: left; }
    .state-completed .state { color: #1a7f37; } .state-failed .state, .overdue, .error { color: #cf222e; }
    .state-needs-exact-fallback .state { color: #9a6700; } .meta { color: #666; } code { font-size: 0.85em; }
    section.details { border-top: 2px solid #eee; padding-top: 0.5em; } .charts svg { margin: 0 1em 1em 0; }
    </style></head>
    <body>
    <h1>Erasure requests</h1>
    <p class="meta">As of {{generatedAt}}, for {{tokenName}} ({{role}}). Certificates verify offline with the public key <code>{{publicKey}}</code>.</p>
    <table id="counts"><tr>{{#counts}}<th>{{state}}</th>{{/counts}}</tr><tr>{{#counts}}<td>{{count}}</td>{{/counts}}</tr></table>
    <h2>Models</h2>
    <table id="models"><thead><tr><th>model</th><th>active version</th><th>versions</th><th>classes forgotten</th></tr></thead><tbody>
    {{#models}}<tr><td>{{name}}</td><td>{{activeVersion}}</td><td>{{versionCount}}</td><td>{{forgottenCount}}</td></tr>{{/models}}
    </tbody></table>
    <h2>Requests</h2>
    {{^hasRequests}}<p>No requests yet.</p>{{/hasRequests}}
    {{#hasRequests}}
    <table id="requests"><thead><tr><th>request</th><th>model</th><th>reference</th><th>subjects</th><th>state</th><th>submitted</th><th>deadline</th><th>time left</th></tr></thead><tbody>
    {{#requests}}
    <tr class="state-{{stateClass}}" id="request-{{id}}"><td><a href="#details-{{id}}"><code>{{shortID}}</code></a></td><td>{{model}}</td><td>{{reference}}</td><td>{{subjects}}</td><td class="state">{{state}}{{#activity}}<br><small>{{.}}</small>{{/activity}}</td><td>{{submitted}}</td><td>{{deadline}}</td><td{{#overdue}} class="overdue"{{/overdue}}>{{timeLeft}}</td></tr>
    {{/requests}}
    </tbody></table>
    {{/hasRequests}}
    {{#requests}}{{#hasDetails}}
    <section class="details" id="details-{{id}}">
    <h3><code>{{shortID}}</code> {{reference}}: {{state}}</h3>
    {{#certificate}}<p class="certificate"><a href="{{link}}">Certificate</a> (ledger entry {{ledgerSequence}}), version {{baseVersion}} → {{resultVersion}}.</p>{{/certificate}}
    {{#verdict}}<p class="verdict">Audit: <strong>{{verdict}}</strong>{{#failedTests}}; outside the oracles' band: {{failedTests}}{{/failedTests}}.</p>{{/verdict}}
    {{#fallback}}<p class="fallback">{{.}}</p>{{/fallback}}
    {{#error}}<p class="error">{{.}}</p>{{/error}}
    {{#hasMetrics}}<table class="metrics"><thead><tr><th>figure</th><th>before</th><th>after</th></tr></thead><tbody>
    {{#metrics}}<tr><td>{{name}}</td><td>{{before}}</td><td>{{after}}</td></tr>{{/metrics}}
    </tbody></table>{{/hasMetrics}}
    <div class="charts">{{#charts}}{{{.}}}{{/charts}}</div>
    </section>
    {{/hasDetails}}{{/requests}}
    </body></html>
    """
}

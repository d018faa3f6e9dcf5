//! "Share with my technical team" (issue 15): a campaign's integration guide as one
//! self-contained HTML file or as Markdown, rendered here from the same integration details
//! the documentation screen uses: the template as the recipient sees it, the variables with
//! examples, the two steps, the answers and error codes, notes on test credentials. The
//! client secret is a placeholder unless the person chose to include it (a read of the secret:
//! the server refuses it without `reveal_credentials` and records `credentials_copied`).

use engage_core::snippet::{Integration, Snippet};
use engage_core::wire::{
    Campaign, CampaignIntegration, CredentialMode, SendMessageRequest, VariableLocation,
};
use engage_core::{Language, SnippetLang};

/// What stands for the client secret when it is left out.
pub const SECRET_PLACEHOLDER: &str = "YOUR_CLIENT_SECRET";

/// A refusal a technical team may get: its HTTP status, its code, and what it means in each
/// language of the guide.
pub struct ErrorCode {
    pub status: u16,
    pub code: &'static str,
    en: &'static str,
    pt_br: &'static str,
    es: &'static str,
}

impl ErrorCode {
    pub fn meaning(&self, language: Language) -> &'static str {
        match language {
            Language::En => self.en,
            Language::PtBr => self.pt_br,
            Language::Es => self.es,
        }
    }
}

const fn code(
    status: u16,
    code: &'static str,
    en: &'static str,
    pt_br: &'static str,
    es: &'static str,
) -> ErrorCode {
    ErrorCode {
        status,
        code,
        en,
        pt_br,
        es,
    }
}

/// The refusals a technical team may get, with what each means.
pub const ERROR_CODES: &[ErrorCode] = &[
    code(401, "invalid_client",
        "Step 1: the client id or secret is wrong (the secret may have been rotated).",
        "Passo 1: o client id ou o segredo está errado (o segredo pode ter sido trocado).",
        "Paso 1: el client id o el secreto es incorrecto (el secreto puede haber sido rotado)."),
    code(400, "unsupported_grant_type",
        "Step 1: send grant_type=client_credentials.",
        "Passo 1: envie grant_type=client_credentials.",
        "Paso 1: envía grant_type=client_credentials."),
    code(401, "missing_token",
        "Step 2: no Authorization: Bearer header; run step 1 and send its access_token.",
        "Passo 2: falta o cabeçalho Authorization: Bearer; rode o passo 1 e envie o access_token dele.",
        "Paso 2: falta el encabezado Authorization: Bearer; ejecuta el paso 1 y envía su access_token."),
    code(401, "invalid_token",
        "Step 2: the token is wrong or has expired (tokens last one hour); run step 1 again.",
        "Passo 2: o token está errado ou expirou (tokens valem uma hora); rode o passo 1 de novo.",
        "Paso 2: el token es incorrecto o expiró (los tokens duran una hora); ejecuta el paso 1 otra vez."),
    code(403, "campaign_not_in_scope",
        "These credentials belong to another campaign.",
        "Estas credenciais são de outra campanha.",
        "Estas credenciales son de otra campaña."),
    code(404, "campaign_not_found",
        "No such campaign for these credentials.",
        "Não existe essa campanha para estas credenciais.",
        "No existe esa campaña para estas credenciales."),
    code(409, "campaign_inactive",
        "The campaign was deactivated in Engage; ask for it to be reactivated.",
        "A campanha foi desativada no Engage; peça para reativá-la.",
        "La campaña fue desactivada en Engage; pide que la reactiven."),
    code(409, "template_not_approved",
        "WhatsApp paused, disabled or rejected the template; sends wait for it to be approved again.",
        "O WhatsApp pausou, desativou ou rejeitou o modelo; os envios esperam até ele ser aprovado de novo.",
        "WhatsApp pausó, desactivó o rechazó la plantilla; los envíos esperan a que se apruebe de nuevo."),
    code(409, "sender_inactive",
        "The sender number is inactive.",
        "O número remetente está inativo.",
        "El número remitente está inactivo."),
    code(422, "invalid_phone_number",
        "`to` is not a phone number in international format (+ and the country code).",
        "`to` não é um telefone em formato internacional (+ e o código do país).",
        "`to` no es un teléfono en formato internacional (+ y el código del país)."),
    code(422, "recipient_opted_out",
        "The recipient asked not to receive messages (they answered STOP or were added to the do-not-message list); nothing is sent.",
        "O destinatário pediu para não receber mensagens (respondeu PARAR ou foi incluído na lista de não contatar); nada é enviado.",
        "El destinatario pidió no recibir mensajes (respondió BAJA o fue incluido en la lista de no contactar); no se envía nada."),
    code(422, "missing_variable",
        "A variable of the template is missing from `variables` (the field names it).",
        "Falta em `variables` uma variável do modelo (o campo `field` diz qual).",
        "Falta en `variables` una variable de la plantilla (el campo `field` dice cuál)."),
    code(422, "unknown_variable",
        "`variables` holds a name the template does not have.",
        "`variables` tem um nome que o modelo não tem.",
        "`variables` tiene un nombre que la plantilla no tiene."),
    code(422, "empty_variable",
        "A variable is empty.",
        "Uma variável está vazia.",
        "Una variable está vacía."),
    code(422, "variable_too_long",
        "A variable is longer than WhatsApp accepts.",
        "Uma variável é mais longa do que o WhatsApp aceita.",
        "Una variable es más larga de lo que WhatsApp acepta."),
    code(400, "malformed_json",
        "The body is not valid JSON.",
        "O corpo não é um JSON válido.",
        "El cuerpo no es un JSON válido."),
    code(415, "unsupported_media_type",
        "Send Content-Type: application/json.",
        "Envie Content-Type: application/json.",
        "Envía Content-Type: application/json."),
    code(422, "idempotency_key_reused",
        "The Idempotency-Key was used before with another body.",
        "A Idempotency-Key já foi usada antes com outro corpo.",
        "La Idempotency-Key ya se usó antes con otro cuerpo."),
    code(422, "frequency_capped",
        "The campaign allows no more messages to this number for now (its limit per person); `retry_at` in the body says when the next one is allowed, Retry-After in how many seconds.",
        "A campanha não permite mais mensagens para este número por enquanto (o limite por pessoa); `retry_at` no corpo diz quando a próxima é permitida, Retry-After em quantos segundos.",
        "La campaña no permite más mensajes a este número por ahora (su límite por persona); `retry_at` en el cuerpo dice cuándo se permite el siguiente, Retry-After en cuántos segundos."),
    code(429, "rate_limited",
        "Too many requests per second; wait Retry-After seconds.",
        "Requisições demais por segundo; espere os segundos de Retry-After.",
        "Demasiadas solicitudes por segundo; espera los segundos de Retry-After."),
    code(503, "database_unavailable",
        "The server is briefly unavailable; retry after Retry-After seconds.",
        "O servidor está indisponível por um instante; tente de novo depois dos segundos de Retry-After.",
        "El servidor no está disponible por un momento; reintenta tras los segundos de Retry-After."),
];

/// The guide's words in one language. Inline code is written between backquotes (Markdown),
/// and turned into `<code>` in the HTML guide; `{name}` marks where a value goes.
struct Words {
    html_lang: &'static str,
    title: &'static str,
    intro: &'static str,
    recipient_sees: &'static str,
    with_examples: &'static str,
    variables: &'static str,
    no_variables: &'static str,
    columns: [&'static str; 4],
    characters: &'static str,
    header: &'static str,
    text: &'static str,
    button: &'static str,
    all_required: &'static str,
    step1_title: &'static str,
    step1_text: &'static str,
    step2_title: &'static str,
    step2_text: &'static str,
    accepted: &'static str,
    errors_title: &'static str,
    errors_text: &'static str,
    error_columns: [&'static str; 3],
    notes_title: &'static str,
    secret_left_out: &'static str,
    secret_included: &'static str,
    test_credentials: &'static str,
    live_credentials: &'static str,
    local_sandbox: &'static str,
}

const EN: Words = Words {
    html_lang: "en",
    title: "Integration guide",
    intro: "Send the WhatsApp template {template} ({language}) to one recipient whenever an event happens in your system, in two HTTP requests.",
    recipient_sees: "What the recipient sees",
    with_examples: "With the example values below.",
    variables: "Variables",
    no_variables: "This template has no variables: send `\"variables\": {}`.",
    columns: ["name", "where", "example", "at most"],
    characters: "{n} characters",
    header: "header",
    text: "text",
    button: "button {n}",
    all_required: "Every variable is required; values are plain text.",
    step1_title: "Step 1: get an access token",
    step1_text: "Run it once; the answer's `access_token` lasts one hour (`expires_in`), then run it again.",
    step2_title: "Step 2: send the message",
    step2_text: "Put the token in the `ENGAGE_TOKEN` environment variable, then run this for each event, with the recipient's number (`to`, international format) and the variables:",
    accepted: "`202` with `{\"id\", \"status\": \"queued\"}`: accepted; the message is delivered shortly. Add an `Idempotency-Key` header to retry safely.",
    errors_title: "Error codes",
    errors_text: "Every refusal is JSON: `{\"error\": {\"code\", \"message\", \"field\"}}` (step 1: `{\"error\", \"error_description\"}`).",
    error_columns: ["HTTP", "code", "meaning"],
    notes_title: "Notes",
    secret_left_out: "The client secret is not in this guide: replace {placeholder} with it. Ask the person who shared this guide to copy step 1 from the campaign's documentation screen in Engage (the copy carries the secret) and to send it to you privately.",
    secret_included: "This guide contains the client secret: keep it private, do not commit it to a repository, and delete the file once the secret is stored safely.",
    test_credentials: "These are test credentials (client id engage_test_…): messages go through Engage's sandbox, never reach WhatsApp, and are marked as tests. Use them to try the integration; switch to the live credentials for real sends.",
    live_credentials: "These are live credentials: every accepted request sends a real WhatsApp message. To try the integration first, ask for the campaign's test credentials (client id engage_test_…): the same two steps, nothing reaches WhatsApp.",
    local_sandbox: "The server in these commands is the Engage sandbox running on the marketing user's computer (127.0.0.1): it answers only on that computer, and messages are delivered by the sandbox, not by WhatsApp.",
};

const PT_BR: Words = Words {
    html_lang: "pt-BR",
    title: "Guia de integração",
    intro: "Envie o modelo de WhatsApp {template} ({language}) para um destinatário sempre que um evento acontecer no seu sistema, com duas requisições HTTP.",
    recipient_sees: "O que o destinatário vê",
    with_examples: "Com os valores de exemplo abaixo.",
    variables: "Variáveis",
    no_variables: "Este modelo não tem variáveis: envie `\"variables\": {}`.",
    columns: ["nome", "onde", "exemplo", "no máximo"],
    characters: "{n} caracteres",
    header: "cabeçalho",
    text: "texto",
    button: "botão {n}",
    all_required: "Todas as variáveis são obrigatórias; os valores são texto simples.",
    step1_title: "Passo 1: obter um token de acesso",
    step1_text: "Rode uma vez; o `access_token` da resposta vale uma hora (`expires_in`), depois rode de novo.",
    step2_title: "Passo 2: enviar a mensagem",
    step2_text: "Coloque o token na variável de ambiente `ENGAGE_TOKEN` e rode isto a cada evento, com o número do destinatário (`to`, em formato internacional) e as variáveis:",
    accepted: "`202` com `{\"id\", \"status\": \"queued\"}`: aceita; a mensagem é entregue em instantes. Adicione o cabeçalho `Idempotency-Key` para repetir com segurança.",
    errors_title: "Códigos de erro",
    errors_text: "Toda recusa é um JSON: `{\"error\": {\"code\", \"message\", \"field\"}}` (passo 1: `{\"error\", \"error_description\"}`).",
    error_columns: ["HTTP", "código", "significado"],
    notes_title: "Observações",
    secret_left_out: "O segredo do cliente não está neste guia: troque {placeholder} por ele. Peça a quem compartilhou este guia que copie o passo 1 na tela de Documentação da campanha no Engage (a cópia leva o segredo) e envie a você em particular.",
    secret_included: "Este guia contém o segredo do cliente: mantenha-o privado, não o coloque em um repositório e apague o arquivo depois de guardar o segredo em local seguro.",
    test_credentials: "Estas são credenciais de teste (client id engage_test_…): as mensagens passam pelo sandbox do Engage, nunca chegam ao WhatsApp e ficam marcadas como teste. Use-as para testar a integração; troque pelas credenciais reais para os envios de verdade.",
    live_credentials: "Estas são credenciais reais: cada requisição aceita envia uma mensagem de WhatsApp de verdade. Para testar a integração antes, peça as credenciais de teste da campanha (client id engage_test_…): os mesmos dois passos, nada chega ao WhatsApp.",
    local_sandbox: "O servidor destes comandos é o sandbox do Engage rodando no computador de quem cuida do marketing (127.0.0.1): ele só responde nesse computador, e as mensagens são entregues pelo sandbox, não pelo WhatsApp.",
};

const ES: Words = Words {
    html_lang: "es",
    title: "Guía de integración",
    intro: "Envía la plantilla de WhatsApp {template} ({language}) a un destinatario cada vez que ocurra un evento en tu sistema, con dos solicitudes HTTP.",
    recipient_sees: "Lo que ve el destinatario",
    with_examples: "Con los valores de ejemplo de abajo.",
    variables: "Variables",
    no_variables: "Esta plantilla no tiene variables: envía `\"variables\": {}`.",
    columns: ["nombre", "dónde", "ejemplo", "como máximo"],
    characters: "{n} caracteres",
    header: "encabezado",
    text: "texto",
    button: "botón {n}",
    all_required: "Todas las variables son obligatorias; los valores son texto plano.",
    step1_title: "Paso 1: obtener un token de acceso",
    step1_text: "Ejecútalo una vez; el `access_token` de la respuesta dura una hora (`expires_in`), luego ejecútalo de nuevo.",
    step2_title: "Paso 2: enviar el mensaje",
    step2_text: "Pon el token en la variable de entorno `ENGAGE_TOKEN` y ejecuta esto en cada evento, con el número del destinatario (`to`, en formato internacional) y las variables:",
    accepted: "`202` con `{\"id\", \"status\": \"queued\"}`: aceptado; el mensaje se entrega en breve. Agrega el encabezado `Idempotency-Key` para reintentar sin riesgo.",
    errors_title: "Códigos de error",
    errors_text: "Todo rechazo es un JSON: `{\"error\": {\"code\", \"message\", \"field\"}}` (paso 1: `{\"error\", \"error_description\"}`).",
    error_columns: ["HTTP", "código", "significado"],
    notes_title: "Notas",
    secret_left_out: "El secreto del cliente no está en esta guía: reemplaza {placeholder} por él. Pide a quien compartió esta guía que copie el paso 1 en la pantalla de Documentación de la campaña en Engage (la copia lleva el secreto) y te lo envíe en privado.",
    secret_included: "Esta guía contiene el secreto del cliente: mantenlo en privado, no lo subas a un repositorio y borra el archivo cuando el secreto esté guardado en un lugar seguro.",
    test_credentials: "Estas son credenciales de prueba (client id engage_test_…): los mensajes pasan por el sandbox de Engage, nunca llegan a WhatsApp y quedan marcados como prueba. Úsalas para probar la integración; cambia a las credenciales reales para los envíos de verdad.",
    live_credentials: "Estas son credenciales reales: cada solicitud aceptada envía un mensaje de WhatsApp de verdad. Para probar la integración antes, pide las credenciales de prueba de la campaña (client id engage_test_…): los mismos dos pasos, nada llega a WhatsApp.",
    local_sandbox: "El servidor de estos comandos es el sandbox de Engage que corre en la computadora de quien hace el marketing (127.0.0.1): solo responde en esa computadora, y los mensajes los entrega el sandbox, no WhatsApp.",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &EN,
        Language::PtBr => &PT_BR,
        Language::Es => &ES,
    }
}

/// `text` with each `{name}` of `values` replaced by its value, in one pass (a value that
/// holds `{…}` is left as it is).
fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            values
                .iter()
                .find(|(name, _)| *name == &after[..close])
                .map(|(_, value)| (close, *value))
        });
        match value {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Everything the guide shows, gathered by `AppCore::integration_guide`.
pub struct GuideInput<'a> {
    pub campaign: &'a Campaign,
    /// The credentials: the real secret, or [`SECRET_PLACEHOLDER`] in its place.
    pub integration: &'a CampaignIntegration,
    pub secret_included: bool,
    pub lang: SnippetLang,
    /// The language the guide is written in (the app's).
    pub language: Language,
    /// The example request of step 2.
    pub request: &'a SendMessageRequest,
    /// The message the recipient gets with the example values.
    pub message: String,
    /// The server is the sandbox on the marketing user's computer.
    pub local_sandbox: bool,
}

impl GuideInput<'_> {
    fn words(&self) -> &'static Words {
        words(self.language)
    }

    fn snippet(&self) -> Snippet {
        Integration {
            body: self.request.clone(),
            ..Integration::from_wire(self.integration)
        }
        .render(self.lang)
    }

    fn where_of(&self, location: VariableLocation, button: Option<u32>) -> String {
        let words = self.words();
        match location {
            VariableLocation::Header => words.header.to_owned(),
            VariableLocation::Body => words.text.to_owned(),
            VariableLocation::Button => fill(
                words.button,
                &[("n", &(button.unwrap_or(0) + 1).to_string())],
            ),
        }
    }

    fn characters(&self, count: u32) -> String {
        fill(self.words().characters, &[("n", &count.to_string())])
    }

    fn intro(&self, template: &str) -> String {
        fill(
            self.words().intro,
            &[
                ("template", template),
                ("language", &self.campaign.template.language),
            ],
        )
    }

    /// The notes, with inline code between backquotes.
    fn notes(&self) -> Vec<String> {
        let words = self.words();
        let mut notes = vec![if self.secret_included {
            words.secret_included.to_owned()
        } else {
            fill(
                words.secret_left_out,
                &[("placeholder", &format!("`{SECRET_PLACEHOLDER}`"))],
            )
        }];
        notes.push(
            match self.integration.mode {
                CredentialMode::Test => words.test_credentials,
                CredentialMode::Live => words.live_credentials,
            }
            .to_owned(),
        );
        if self.local_sandbox {
            notes.push(words.local_sandbox.to_owned());
        }
        notes
    }
}

/// The guide as Markdown.
pub fn markdown(input: &GuideInput<'_>) -> String {
    let words = input.words();
    let snippet = input.snippet();
    let fence = fence_for(&snippet);
    let mut out = String::new();
    out.push_str(&format!("# {}: {}\n\n", words.title, input.campaign.name));
    out.push_str(&input.intro(&format!("**{}**", input.campaign.template.name)));
    out.push_str(&format!("\n\n## {}\n\n", words.recipient_sees));
    for line in input.message.lines() {
        out.push_str(&format!("> {line}\n"));
    }
    out.push_str(&format!(
        "\n({})\n\n## {}\n\n",
        words.with_examples, words.variables
    ));
    if input.campaign.template.variables.is_empty() {
        out.push_str(&format!("{}\n\n", words.no_variables));
    } else {
        out.push_str(&format!(
            "| {} |\n|---|---|---|---|\n",
            words.columns.join(" | ")
        ));
        for v in &input.campaign.template.variables {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                v.key,
                input.where_of(v.location, v.button_index),
                md_cell(input.request.variables.get(&v.key).unwrap_or(&v.example)),
                input.characters(v.max_length)
            ));
        }
        out.push_str(&format!("\n{}\n\n", words.all_required));
    }
    for (title, text, code) in [
        (words.step1_title, words.step1_text, &snippet.token),
        (words.step2_title, words.step2_text, &snippet.send),
    ] {
        out.push_str(&format!(
            "## {title}\n\n{text}\n\n{fence}{}\n{code}\n{fence}\n\n",
            code_lang(input.lang)
        ));
    }
    out.push_str(&format!(
        "{}\n\n## {}\n\n{}\n\n| {} |\n|---|---|---|\n",
        words.accepted,
        words.errors_title,
        words.errors_text,
        words.error_columns.join(" | ")
    ));
    for error in ERROR_CODES {
        out.push_str(&format!(
            "| {} | `{}` | {} |\n",
            error.status,
            error.code,
            error.meaning(input.language)
        ));
    }
    out.push_str(&format!("\n## {}\n\n", words.notes_title));
    for note in input.notes() {
        out.push_str(&format!("- {note}\n"));
    }
    out
}

/// The guide as one HTML file with its styles inside (no scripts, nothing fetched).
pub fn html(input: &GuideInput<'_>) -> String {
    let words = input.words();
    let snippet = input.snippet();
    let e = escape;
    let title = format!("{}: {}", words.title, e(&input.campaign.name));
    let mut out = format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n",
        words.html_lang
    );
    out.push_str(&format!(
        "<p>{}</p>\n<h2>{}</h2>\n<div class=\"bubble\">{}</div>\n<p class=\"hint\">{}</p>\n<h2>{}</h2>\n",
        inline_code(&input.intro(&format!(
            "<strong>{}</strong>",
            e(&input.campaign.template.name)
        ))),
        words.recipient_sees,
        e(&input.message).replace('\n', "<br>"),
        words.with_examples,
        words.variables
    ));
    if input.campaign.template.variables.is_empty() {
        out.push_str(&format!("<p>{}</p>\n", inline_code(&e(words.no_variables))));
    } else {
        out.push_str(&format!(
            "<table>\n<thead><tr><th>{}</th></tr></thead>\n<tbody>\n",
            words.columns.join("</th><th>")
        ));
        for v in &input.campaign.template.variables {
            out.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                e(&v.key),
                input.where_of(v.location, v.button_index),
                e(input.request.variables.get(&v.key).unwrap_or(&v.example)),
                input.characters(v.max_length)
            ));
        }
        out.push_str(&format!(
            "</tbody>\n</table>\n<p>{}</p>\n",
            words.all_required
        ));
    }
    for (title, text, code) in [
        (words.step1_title, words.step1_text, &snippet.token),
        (words.step2_title, words.step2_text, &snippet.send),
    ] {
        out.push_str(&format!(
            "<h2>{title}</h2>\n<p>{}</p>\n<pre><code>{}</code></pre>\n",
            inline_code(&e(text)),
            e(code)
        ));
    }
    out.push_str(&format!(
        "<p>{}</p>\n<h2>{}</h2>\n<p>{}</p>\n<table>\n<thead><tr><th>{}</th></tr></thead>\n<tbody>\n",
        inline_code(&e(words.accepted)),
        words.errors_title,
        inline_code(&e(words.errors_text)),
        words.error_columns.join("</th><th>")
    ));
    for error in ERROR_CODES {
        out.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
            error.status,
            e(error.code),
            inline_code(&e(error.meaning(input.language)))
        ));
    }
    out.push_str(&format!(
        "</tbody>\n</table>\n<h2>{}</h2>\n<ul>\n",
        words.notes_title
    ));
    for note in input.notes() {
        out.push_str(&format!("<li>{}</li>\n", inline_code(&e(&note))));
    }
    out.push_str("</ul>\n</main>\n</body>\n</html>\n");
    out
}

/// Escaped text with each pair of backquotes turned into `<code>…</code>`.
fn inline_code(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            out.push_str(part);
        }
    }
    out
}

const STYLE: &str = "body{margin:0;background:#f4f6f5;color:#16201c;font:15px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}main{max-width:860px;margin:0 auto;padding:32px 24px}h1{font-size:26px}h2{font-size:19px;margin-top:32px}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}pre{background:#fff;border:1px solid #e1e5e3;border-radius:8px;padding:12px;overflow-x:auto;white-space:pre}table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:6px 10px;border:1px solid #e1e5e3;vertical-align:top}.bubble{background:#d9fdd3;border-radius:10px;padding:12px 14px;max-width:420px;white-space:normal}.hint{color:#5e6b66;font-size:13px}@media (prefers-color-scheme:dark){body{background:#0b141a;color:#e9edef}pre,table{background:#111b21;border-color:#25333b}th,td{border-color:#25333b}.bubble{background:#005c4b}.hint{color:#8fa0a8}}";

/// The file name (without extension) proposed for a campaign's guide: letters, digits and
/// dashes of its name.
pub fn file_stem(campaign_name: &str) -> String {
    let mut stem = String::from("engage-guide-");
    let mut dash = false;
    for c in campaign_name.chars() {
        if c.is_alphanumeric() {
            stem.extend(c.to_lowercase());
            dash = false;
        } else if !dash {
            stem.push('-');
            dash = true;
        }
    }
    stem.trim_end_matches('-').chars().take(80).collect()
}

/// `<`, `>`, `&`, `"` and `'` as HTML entities.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table cell: pipes escaped, one line.
fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A code fence longer than any run of backquotes in the code.
fn fence_for(snippet: &Snippet) -> String {
    let longest = [&snippet.token, &snippet.send]
        .iter()
        .flat_map(|code| code.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The info string of a fenced block in `lang`.
fn code_lang(lang: SnippetLang) -> &'static str {
    match lang {
        SnippetLang::CurlBash => "bash",
        SnippetLang::PowerShell => "powershell",
        SnippetLang::CurlCmd => "bat",
        SnippetLang::Python => "python",
        SnippetLang::Node => "javascript",
        SnippetLang::Php => "php",
        SnippetLang::Java => "java",
        SnippetLang::CSharp => "csharp",
        SnippetLang::Go => "go",
        SnippetLang::Ruby => "ruby",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_filled_in_once_and_unknown_braces_stay() {
        assert_eq!(
            fill(
                "send {template} ({language}) {}",
                &[("template", "{language}"), ("language", "pt_BR")]
            ),
            "send {language} (pt_BR) {}"
        );
    }

    #[test]
    fn backquoted_words_become_code_in_html() {
        assert_eq!(
            inline_code("put `a` and `b &amp; c`"),
            "put <code>a</code> and <code>b &amp; c</code>"
        );
    }

    #[test]
    fn every_language_closes_its_backquotes() {
        for words in [&EN, &PT_BR, &ES] {
            for text in [
                words.no_variables,
                words.step1_text,
                words.step2_text,
                words.accepted,
                words.errors_text,
            ] {
                assert_eq!(text.matches('`').count() % 2, 0, "{text}");
            }
        }
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            escape(r#"<b>"Ana" & 'Bia'</b>"#),
            "&lt;b&gt;&quot;Ana&quot; &amp; &#39;Bia&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn the_file_name_is_the_campaign_name_in_lower_case_words() {
        assert_eq!(
            file_stem("Carrinho abandonado / Black Friday!"),
            "engage-guide-carrinho-abandonado-black-friday"
        );
        assert_eq!(file_stem("Promoção"), "engage-guide-promoção");
    }

    #[test]
    fn a_code_fence_is_longer_than_any_backquote_run_in_the_code() {
        let snippet = Snippet {
            lang: SnippetLang::PowerShell,
            token: "Write-Host `\"a`\" ```".into(),
            send: "plain".into(),
        };
        assert_eq!(fence_for(&snippet), "````");
        let plain = Snippet {
            lang: SnippetLang::CurlBash,
            token: "curl".into(),
            send: "curl".into(),
        };
        assert_eq!(fence_for(&plain), "```");
    }

    #[test]
    fn every_error_code_has_a_meaning() {
        for error in ERROR_CODES {
            assert!((400..600).contains(&error.status), "{}", error.code);
            for language in [Language::En, Language::PtBr, Language::Es] {
                let meaning = error.meaning(language);
                assert!(!meaning.trim().is_empty(), "{} {language:?}", error.code);
                assert_eq!(meaning.matches('`').count() % 2, 0, "{meaning}");
            }
        }
    }
}

/**
 * A stand-in for the Rust side, for looking at the UI in a browser (`vite dev`, then open
 * /dev/mock.html). Dev only: not imported by the app and not part of `vite build`.
 * Query parameters: `lang=pt-BR|es|en`, `signed=1` (start signed in), `empty=1` (no campaigns),
 * `slow=MS` (delay every answer), `keyring=0` (session not remembered), `mode=server`,
 * `down=1` (the server cannot be reached), `expire=1` (the session has expired),
 * `notice=CODE` (why the last session was not restored).
 */
type Args = Record<string, unknown>;

const params = new URLSearchParams(location.search);
const slow = Number(params.get('slow') ?? '150');
const now = Date.now();
const iso = (msAgo: number): string => new Date(now - msAgo).toISOString();

const senders = [
  { id: 's1', name: 'Loja Exemplo — Vendas', phone: '+5511987654321', phone_display: '+55 11 98765-4321', status: 'active', provider: 'sandbox' },
  { id: 's2', name: 'Loja Exemplo — Suporte', phone: '+5521991234567', phone_display: '+55 21 99123-4567', status: 'active', provider: 'sandbox' },
  { id: 's3', name: 'Número antigo', phone: '+5511911112222', phone_display: '+55 11 91111-2222', status: 'inactive', provider: 'sandbox' },
];

const templates = [
  {
    id: 't1',
    name: 'carrinho_abandonado',
    language: 'pt_BR',
    category: 'MARKETING',
    status: 'APPROVED',
    components: {
      header: { format: 'text', text: 'Você esqueceu algo, {{1}}?' },
      body: 'Olá {{1}}! Os itens do seu carrinho estão esperando por você. Finalize a compra hoje e ganhe {{2}} de desconto com o cupom abaixo.',
      footer: 'Loja Exemplo · responda PARAR para sair',
      buttons: [
        { type: 'url', text: 'Ver meu carrinho', url: 'https://loja.example/carrinho/{{1}}' },
        { type: 'copy_code', text: 'Copiar cupom' },
        { type: 'quick_reply', text: 'Não tenho interesse' },
      ],
    },
    variables: [
      { key: 'header_1', location: 'header', button_index: null, example: 'Ana', max_length: 60 },
      { key: '1', location: 'body', button_index: null, example: 'Ana', max_length: 1024 },
      { key: '2', location: 'body', button_index: null, example: '10%', max_length: 1024 },
      { key: 'cart_id', location: 'button', button_index: 0, example: 'A1B2C3', max_length: 200 },
      { key: 'coupon_code', location: 'button', button_index: 1, example: 'VOLTA10', max_length: 15 },
    ],
  },
  {
    id: 't2',
    name: 'saldo_baixo',
    language: 'pt_BR',
    category: 'UTILITY',
    status: 'APPROVED',
    components: {
      header: { format: 'image', example_url: 'https://img.example/saldo.png' },
      body: 'Oi {{first_name}}, seu saldo é de {{balance}}. Recarregue para continuar usando seu plano.',
      footer: null,
      buttons: [{ type: 'phone_number', text: 'Ligar para a central', phone_number: '+551140040000' }],
    },
    variables: [
      { key: 'header_url', location: 'header', button_index: null, example: 'https://img.example/saldo.png', max_length: 2000 },
      { key: 'first_name', location: 'body', button_index: null, example: 'Bruno', max_length: 1024 },
      { key: 'balance', location: 'body', button_index: null, example: 'R$ 2,50', max_length: 1024 },
    ],
  },
  {
    id: 't3',
    name: 'codigo_verificacao',
    language: 'es',
    category: 'AUTHENTICATION',
    status: 'APPROVED',
    components: { header: null, body: 'Tu código es {{1}}. No lo compartas con nadie.', footer: null, buttons: [] },
    variables: [{ key: '1', location: 'body', button_index: null, example: '482913', max_length: 15 }],
  },
  {
    id: 't4',
    name: 'promo_pendente',
    language: 'en_US',
    category: 'MARKETING',
    status: 'PENDING',
    components: { header: null, body: 'Hi {{1}}', footer: null, buttons: [] },
    variables: [],
  },
  {
    id: 't5',
    name: 'vitrine_verao',
    language: 'pt_BR',
    category: 'MARKETING',
    status: 'APPROVED',
    components: { header: null, body: 'O verão chegou, {{1}}!', footer: null, buttons: [] },
    variables: [{ key: '1', location: 'body', button_index: null, example: 'Ana', max_length: 1024 }],
    unsupported: { kind: 'carousel', reason: 'components[1].type: carousel templates (cards) are not supported' },
  },
].map((t) => ({ meta_id: null, unsupported: null, quality: null, last_change: null, ...t }));

const fold = (s: string): string => s.normalize('NFKC').trim().toLowerCase();

interface MockCampaign {
  id: string;
  name: string;
  type: 'recurrent';
  status: 'active' | 'inactive';
  sender: (typeof senders)[number];
  template: (typeof templates)[number];
  created_at: string;
  updated_at: string;
}

const campaigns: MockCampaign[] =
  params.get('empty') === '1'
    ? []
    : [
        ['c1', 'Carrinho abandonado — site', 0, 0, 'active', 86400000 * 3],
        ['c2', 'Saldo baixo pré-pago', 1, 1, 'active', 86400000 * 12],
        ['c3', 'Código de verificação', 0, 2, 'inactive', 86400000 * 40],
      ].map(([id, name, s, t, status, ago]) => ({
        id: id as string,
        name: name as string,
        type: 'recurrent' as const,
        status: status as 'active' | 'inactive',
        sender: senders[s as number]!,
        template: templates[t as number]!,
        created_at: iso(ago as number),
        updated_at: iso(ago as number),
      }));

const messages = [
  { to: '+5511955554444', status: 'delivered', ago: 60000, error: null },
  { to: '+5511966667777', status: 'sent', ago: 20000, error: null },
  { to: '+5511900000000', status: 'failed', ago: 5000, error: { code: 'recipient_unreachable', message: 'The number is not on WhatsApp.' } },
].map((m, i) => ({
  id: `m${i}`,
  campaign_id: 'c1',
  to: m.to,
  status: m.status,
  rendered: {
    header: { format: 'text', text: 'Você esqueceu algo, Ana?' },
    body: 'Olá Ana! Os itens do seu carrinho estão esperando por você. Finalize a compra hoje e ganhe 10% de desconto com o cupom abaixo.',
    footer: 'Loja Exemplo · responda PARAR para sair',
    buttons: [
      { kind: 'url', text: 'Ver meu carrinho', value: 'https://loja.example/carrinho/A1B2C3' },
      { kind: 'copy_code', text: 'Copiar cupom', value: 'VOLTA10' },
    ],
  },
  text: '',
  error: m.error,
  created_at: iso(m.ago),
  updated_at: iso(m.ago - 1000),
  sent_at: null,
  delivered_at: null,
  read_at: null,
  failed_at: null,
})).reverse();

const session = {
  mode: params.get('mode') === 'server' ? 'server' : 'sandbox',
  server_url: params.get('mode') === 'server' ? 'https://engage.loja.example' : 'http://127.0.0.1:8787',
  email: 'demo@engage.local',
  workspace_name: 'Loja Exemplo',
  persisted: params.get('keyring') !== '0',
};

function fail(code: string, message: string, field?: string): never {
  throw field ? { code, message, field } : { code, message };
}

function docs(id: string, variables: Record<string, string>): unknown {
  const c = campaigns.find((x) => x.id === id) ?? fail('campaign_not_found', 'no such campaign');
  const body = JSON.stringify({ to: '+5511999998888', variables }, null, 2);
  return {
    campaign: c,
    token_url: `${session.server_url}/oauth/token`,
    send_url: `${session.server_url}/v1/campaigns/${id}/messages`,
    client_id: 'cli_8f2a91',
    token_curl_masked: `curl -sS -u 'cli_8f2a91:••••••••••••' \\\n  -d grant_type=client_credentials \\\n  ${session.server_url}/oauth/token`,
    send_curl_masked: `curl -sS -X POST ${session.server_url}/v1/campaigns/${id}/messages \\\n  -H "Authorization: Bearer $ENGAGE_TOKEN" \\\n  -H 'Content-Type: application/json' \\\n  -d '${body}'`,
    request: { to: '+5511999998888', variables },
    rendered: { header: null, body: '', footer: null, buttons: [] },
  };
}

const handlers: Record<string, (a: Args) => unknown> = {
  get_startup: () => ({
    session: params.get('signed') === '1' ? session : null,
    language: params.get('lang'),
    system_language: 'pt-BR',
    notice: params.get('notice') ? { code: params.get('notice'), message: '' } : null,
    last_sign_in: null,
  }),
  start_sandbox: () => session,
  sign_in: (a) => (a.password === 'wrong' ? fail('invalid_credentials', 'bad') : { ...session, mode: 'server', server_url: a.serverUrl }),
  sign_out: () => null,
  set_language: () => null,
  list_senders: () => senders,
  list_templates: () => templates,
  list_campaigns: (a) => campaigns.filter((c) => !a.query || fold(c.name).includes(fold(String(a.query)))),
  check_campaign_name: (a) =>
    campaigns.some((c) => fold(c.name) === fold(String(a.name)))
      ? { available: false, error: { code: 'campaign_name_taken', message: 'taken', field: 'name' } }
      : { available: true, error: null },
  create_campaign: (a) => {
    if (campaigns.some((c) => fold(c.name) === fold(String(a.name)))) fail('campaign_name_taken', 'taken', 'name');
    const c: MockCampaign = {
      id: `c${campaigns.length + 1}`,
      name: String(a.name).trim(),
      type: 'recurrent',
      status: 'active',
      sender: senders.find((s) => s.id === a.senderId)!,
      template: templates.find((t) => t.id === a.templateId)!,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    };
    campaigns.unshift(c);
    return c;
  },
  get_campaign: (a) => campaigns.find((c) => c.id === a.id) ?? fail('campaign_not_found', 'no'),
  set_campaign_status: (a) => {
    const c = campaigns.find((x) => x.id === a.id) ?? fail('campaign_not_found', 'no');
    c.status = a.status as 'active' | 'inactive';
    return c;
  },
  campaign_docs: (a) => docs(String(a.id), a.variables as Record<string, string>),
  copy_token_curl: () => null,
  copy_send_curl: () => null,
  list_messages: (a) => ({ items: a.campaignId === 'c1' ? messages : [], next_cursor: null }),
  ui_ready: () => null,
};

(window as unknown as { __TAURI_INTERNALS__: unknown }).__TAURI_INTERNALS__ = {
  invoke: async (cmd: string, args: Args) => {
    await new Promise((r) => setTimeout(r, slow));
    const appLevel = ['get_startup', 'start_sandbox', 'sign_in', 'set_language', 'ui_ready'];
    if (params.get('down') === '1' && !appLevel.includes(cmd)) throw { code: 'server_unreachable', message: 'connection refused' };
    if (params.get('expire') === '1' && !appLevel.includes(cmd)) throw { code: 'session_expired', message: 'refresh token rejected' };
    const h = handlers[cmd];
    if (!h) throw { code: 'internal', message: `mock: unknown command ${cmd}` };
    return h(args ?? {});
  },
  transformCallback: () => 0,
};

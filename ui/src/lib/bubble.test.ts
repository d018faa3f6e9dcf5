import { describe, expect, it } from 'vitest';
import {
  bubbleFromRendered,
  bubbleFromTemplate,
  fill,
  placeholderKeys,
  plain,
  segments,
  variableFor,
  type TemplateParts,
  type VariableRef,
} from './bubble';

describe('segments', () => {
  it('cuts text into runs and positional or named placeholders', () => {
    expect(segments('Olá {{1}}, seu pedido {{ order_id }} saiu!')).toEqual([
      { kind: 'text', text: 'Olá ' },
      { kind: 'var', key: '1' },
      { kind: 'text', text: ', seu pedido ' },
      { kind: 'var', key: 'order_id' },
      { kind: 'text', text: ' saiu!' },
    ]);
  });

  it('keeps text without placeholders whole, and single braces as text', () => {
    expect(segments('no {vars} here')).toEqual([{ kind: 'text', text: 'no {vars} here' }]);
    expect(segments('')).toEqual([]);
  });

  it('lists placeholder keys once, in order', () => {
    expect(placeholderKeys('{{2}} {{1}} {{2}}')).toEqual(['2', '1']);
  });
});

describe('fill', () => {
  it('puts values in and marks which runs came from which variable', () => {
    const runs = fill('Hi {{1}}!', { '1': 'Ana' });
    expect(runs).toEqual([{ text: 'Hi ' }, { text: 'Ana', key: '1' }, { text: '!' }]);
    expect(plain(runs)).toBe('Hi Ana!');
  });

  it('shows a variable without value as its placeholder, marked empty', () => {
    expect(fill('Hi {{1}}', { '1': '' })[1]).toEqual({ text: '{{1}}', key: '1', empty: true });
  });
});

const vars: VariableRef[] = [
  { key: 'header_1', location: 'header', button_index: null },
  { key: '1', location: 'body', button_index: null },
  { key: '2', location: 'body', button_index: null },
  { key: 'cart', location: 'button', button_index: 1 },
  { key: 'coupon_code', location: 'button', button_index: 2 },
];

describe('variableFor', () => {
  it('resolves body placeholders by key', () => {
    expect(variableFor('2', 'body', vars)).toBe('2');
  });

  it('resolves a header or button placeholder to the variable of that part', () => {
    expect(variableFor('1', 'header', vars)).toBe('header_1');
    expect(variableFor('1', 'button', vars, 1)).toBe('cart');
  });
});

describe('bubbleFromTemplate', () => {
  const parts: TemplateParts = {
    header: { format: 'text', text: 'Pedido {{1}}' },
    body: 'Olá {{1}}, use {{2}}.',
    footer: 'Loja Exemplo',
    buttons: [
      { type: 'quick_reply', text: 'Parar' },
      { type: 'url', text: 'Ver carrinho', url: 'https://shop.example/cart/{{1}}' },
      { type: 'copy_code', text: 'Copiar código' },
    ],
  };
  const values = { header_1: '#42', '1': 'Ana', '2': 'PIX', cart: 'abc', coupon_code: 'OFF10' };

  it('renders header, body, footer and buttons with the example values highlighted', () => {
    const b = bubbleFromTemplate(parts, vars, values);
    expect(b.header).toEqual({ kind: 'text', runs: [{ text: 'Pedido ' }, { text: '#42', key: 'header_1' }] });
    expect(plain(b.body)).toBe('Olá Ana, use PIX.');
    expect(b.body.filter((r) => r.key).map((r) => r.key)).toEqual(['1', '2']);
    expect(b.footer).toBe('Loja Exemplo');
    expect(b.buttons.map((x) => x.kind)).toEqual(['quick_reply', 'url', 'copy_code']);
    expect(plain(b.buttons[1]?.value ?? [])).toBe('https://shop.example/cart/abc');
    expect(b.buttons[2]?.value).toEqual([{ text: 'OFF10', key: 'coupon_code' }]);
  });

  it('changes with the values (preview and curl use the same values)', () => {
    const b = bubbleFromTemplate(parts, vars, { ...values, '1': 'Bruno' });
    expect(plain(b.body)).toBe('Olá Bruno, use PIX.');
  });

  it('shows a media header as a placeholder of its kind', () => {
    const b = bubbleFromTemplate(
      { ...parts, header: { format: 'image', example_url: null } },
      [{ key: 'header_url', location: 'header', button_index: null }],
      { header_url: 'https://img.example/a.png' },
    );
    expect(b.header).toEqual({ kind: 'media', media: 'image', url: [{ text: 'https://img.example/a.png', key: 'header_url' }] });
  });
});

describe('bubbleFromRendered', () => {
  it('shows the message as received, without variables', () => {
    const b = bubbleFromRendered({
      header: { format: 'document', url: 'https://x.example/f.pdf' },
      body: 'Olá Ana',
      footer: null,
      buttons: [{ kind: 'url', text: 'Abrir', value: 'https://x.example' }, { kind: 'weird', text: 'X', value: null }],
    });
    expect(b.header).toEqual({ kind: 'media', media: 'document', url: [{ text: 'https://x.example/f.pdf' }] });
    expect(b.body).toEqual([{ text: 'Olá Ana' }]);
    expect(b.buttons.map((x) => x.kind)).toEqual(['url', 'other']);
  });
});

describe('location headers and OTP buttons', () => {
  const location = {
    header: { format: 'location' as const },
    body: 'Seu pedido {{order_number}} está a caminho.',
    footer: null,
    buttons: [],
  };

  it('a location template shows the map pin with the example name, address and coordinates', () => {
    const model = bubbleFromTemplate(
      location,
      [
        { key: 'location_latitude', location: 'header', button_index: null },
        { key: 'location_longitude', location: 'header', button_index: null },
        { key: 'location_name', location: 'header', button_index: null },
        { key: 'location_address', location: 'header', button_index: null },
        { key: 'order_number', location: 'body', button_index: null },
      ],
      { location_latitude: '-23.56', location_longitude: '-46.65', location_name: 'Loja Paulista', location_address: '' },
    );
    expect(model.header?.kind).toBe('location');
    if (model.header?.kind !== 'location') return;
    expect(plain(model.header.name)).toBe('Loja Paulista');
    expect(model.header.address[0]).toMatchObject({ text: '{{location_address}}', empty: true });
    expect(plain(model.header.coordinates)).toBe('-23.56, -46.65');
  });

  it('a sent location message shows what the recipient got', () => {
    const model = bubbleFromRendered({
      header: { format: 'location', latitude: '1.5', longitude: '2.5', name: 'Loja', address: 'Rua A' },
      body: 'Oi',
      footer: null,
      buttons: [{ kind: 'otp', text: 'Copy code', value: '123456' }],
    });
    expect(model.header).toMatchObject({ kind: 'location', name: [{ text: 'Loja' }] });
    expect(model.buttons[0]).toMatchObject({ kind: 'otp', value: [{ text: '123456' }] });
  });

  it('an OTP button copies the code of the body', () => {
    const model = bubbleFromTemplate(
      { header: null, body: '*{{1}}* is your verification code.', footer: null, buttons: [{ type: 'otp', text: 'Copy code' }] },
      [{ key: '1', location: 'body', button_index: null }],
      { '1': '482913' },
    );
    expect(model.buttons[0]).toMatchObject({ kind: 'otp', value: [{ text: '482913', key: '1' }] });
  });
});

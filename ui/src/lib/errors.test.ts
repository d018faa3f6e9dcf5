import { describe, expect, it } from 'vitest';
import { errorKey, handlingOf, toUiError } from './errors';

describe('toUiError', () => {
  it('keeps code, message and field of an IpcError', () => {
    expect(toUiError({ code: 'campaign_name_taken', message: 'taken', field: 'name' })).toEqual({
      code: 'campaign_name_taken',
      message: 'taken',
      field: 'name',
    });
  });

  it('leaves field out when the error has none', () => {
    expect(toUiError({ code: 'server_unreachable', message: 'down' })).toEqual({ code: 'server_unreachable', message: 'down' });
  });

  it('turns a bare string or an Error into an internal error', () => {
    expect(toUiError('boom').code).toBe('internal');
    expect(toUiError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toUiError(undefined).code).toBe('internal');
  });
});

describe('handlingOf', () => {
  it('sends an expired or missing session back to sign-in', () => {
    expect(handlingOf({ code: 'session_expired', message: '' })).toEqual({ kind: 'sign_in' });
    expect(handlingOf({ code: 'not_signed_in', message: '' })).toEqual({ kind: 'sign_in' });
  });

  it('shows an unreachable server as a banner', () => {
    expect(handlingOf({ code: 'server_unreachable', message: '' })).toEqual({ kind: 'banner' });
  });

  it('shows a taken name at the name field, with or without a field', () => {
    expect(handlingOf({ code: 'campaign_name_taken', message: '' })).toEqual({ kind: 'field', field: 'name' });
    expect(handlingOf({ code: 'campaign_name_taken', message: '', field: 'name' })).toEqual({ kind: 'field', field: 'name' });
  });

  it('maps the server and IPC names of a field to the form control', () => {
    expect(handlingOf({ code: 'sender_inactive', message: '', field: 'sender_id' })).toEqual({ kind: 'field', field: 'sender' });
    expect(handlingOf({ code: 'sender_inactive', message: '', field: 'senderId' })).toEqual({ kind: 'field', field: 'sender' });
    expect(handlingOf({ code: 'template_not_approved', message: '', field: 'templateId' })).toEqual({ kind: 'field', field: 'template' });
  });

  it('shows other errors where the action was attempted', () => {
    expect(handlingOf({ code: 'campaign_inactive', message: '' })).toEqual({ kind: 'inline' });
  });
});

describe('errorKey', () => {
  it('has a catalogue key per known code and a generic one for the rest', () => {
    expect(errorKey('campaign_name_taken')).toBe('errors.campaign_name_taken');
    expect(errorKey('something_new')).toBe('errors.unknown');
  });
});

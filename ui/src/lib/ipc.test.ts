import { describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { call, errorOf, IpcFailure } = await import('./ipc');

describe('call', () => {
  it('passes the command and its camelCase arguments to invoke, and returns the answer', async () => {
    invoke.mockResolvedValueOnce({ available: true, error: null });
    await expect(call('check_campaign_name', { name: 'Boas-vindas' })).resolves.toEqual({ available: true, error: null });
    expect(invoke).toHaveBeenLastCalledWith('check_campaign_name', { name: 'Boas-vindas' });
  });

  it('sends an empty argument object for commands without arguments', async () => {
    invoke.mockResolvedValueOnce(null);
    await call('restore_session');
    expect(invoke).toHaveBeenLastCalledWith('restore_session', {});
  });

  it('rejects with the IpcError of the Rust side, code and field intact', async () => {
    invoke.mockRejectedValueOnce({ code: 'campaign_name_taken', message: 'taken', field: 'name' });
    const thrown = await call('create_campaign', { name: 'x', senderId: 's', templateId: 't' }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(IpcFailure);
    expect(errorOf(thrown)).toEqual({ code: 'campaign_name_taken', message: 'taken', field: 'name' });
  });

  it('turns anything else invoke rejects with into an internal error', async () => {
    invoke.mockRejectedValueOnce('command list_senders not found');
    const thrown = await call('list_senders').catch((e: unknown) => e);
    expect(errorOf(thrown).code).toBe('internal');
  });
});

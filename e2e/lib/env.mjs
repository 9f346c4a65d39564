// Shared helpers for the client suite: clients for the running server, and a
// superuser connection for seeding.
import { createClient } from '@supabase/supabase-js';
import ws from 'ws';
import pg from 'pg';

export const url = process.env.MOBO_URL;
export const anonKey = process.env.MOBO_ANON_KEY;
export const serviceKey = process.env.MOBO_SERVICE_KEY;

// client returns a supabase-js client; Node 20 has no global WebSocket, so
// realtime gets the ws package as its transport.
export function client(key = anonKey, options = {}) {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    ...options,
    realtime: { transport: ws, ...(options.realtime ?? {}) },
  });
}

// sql runs statements as superuser on the default project's database.
export async function sql(text, params = []) {
  const c = new pg.Client({ connectionString: process.env.MOBO_DB_URL });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

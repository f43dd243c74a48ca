export interface Session {
  id: string;
  userId: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

/** Where a sign-in comes from, recorded on its session for GET /users/me/sessions. */
export interface ClientInfo {
  userAgent?: string;
  ip?: string;
}

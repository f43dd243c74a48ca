CREATE TABLE "job_leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"lease_until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "account_tokens_ended_at_idx" ON "account_tokens" USING btree (least("used_at", "expires_at"));--> statement-breakpoint
CREATE INDEX "mfa_challenges_expires_at_idx" ON "mfa_challenges" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "outbox_token_id_idx" ON "outbox" USING btree ("token_id") WHERE "outbox"."token_id" is not null;--> statement-breakpoint
CREATE INDEX "outbox_finished_at_idx" ON "outbox" USING btree (coalesce("sent_at", "next_attempt_at")) WHERE "outbox"."status" <> 'pending';--> statement-breakpoint
CREATE INDEX "refresh_tokens_rotated_at_idx" ON "refresh_tokens" USING btree ("rotated_at") WHERE "refresh_tokens"."rotated_at" is not null;--> statement-breakpoint
CREATE INDEX "sessions_ended_at_idx" ON "sessions" USING btree (least("revoked_at", "expires_at"));--> statement-breakpoint
-- A deleted session is announced only if it was live. An ended one was announced when it was revoked, and every
-- instance refuses an expired one by its expires_at, so the retention purge's deletes (a thousand a statement) need
-- no notice each on every instance.
DROP TRIGGER sessions_notify_auth_state ON sessions;--> statement-breakpoint
CREATE TRIGGER sessions_notify_auth_state
  AFTER UPDATE OF id, user_id, revoked_at ON sessions
  FOR EACH ROW EXECUTE FUNCTION notify_auth_state('session');--> statement-breakpoint
CREATE TRIGGER sessions_notify_auth_state_delete
  AFTER DELETE ON sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND OLD.expires_at > now())
  EXECUTE FUNCTION notify_auth_state('session');

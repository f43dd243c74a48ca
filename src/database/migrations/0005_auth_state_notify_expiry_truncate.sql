-- Every change that can end a session is announced (0004 missed some): an expiry moved earlier (not later, as each
-- refresh does, which would cost a notice per refresh), a session moved to another id or user, and a TRUNCATE,
-- after which every instance forgets everything it holds ('all').
DROP TRIGGER sessions_notify_auth_state ON sessions;--> statement-breakpoint
CREATE TRIGGER sessions_notify_auth_state
  AFTER UPDATE OF id, user_id, revoked_at OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION notify_auth_state('session');--> statement-breakpoint
CREATE TRIGGER sessions_notify_auth_state_expiry
  AFTER UPDATE OF expires_at ON sessions
  FOR EACH ROW WHEN (NEW.expires_at < OLD.expires_at)
  EXECUTE FUNCTION notify_auth_state('session');--> statement-breakpoint
CREATE FUNCTION notify_auth_state_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('auth_state', 'all');
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER users_notify_auth_state_truncate
  AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_state_all();--> statement-breakpoint
CREATE TRIGGER sessions_notify_auth_state_truncate
  AFTER TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_state_all();

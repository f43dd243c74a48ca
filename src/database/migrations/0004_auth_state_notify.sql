-- Announces on channel auth_state every change that can end a signed-in request (a user's profile, roles or
-- status; a session's end), so that each instance drops what it holds in memory (AuthCache), whoever made it.
CREATE FUNCTION notify_auth_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('auth_state', TG_ARGV[0] || ':' || OLD.id);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER users_notify_auth_state
  AFTER UPDATE OF username, email, full_name, roles, disabled, updated_at OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_auth_state('user');--> statement-breakpoint
CREATE TRIGGER sessions_notify_auth_state
  AFTER UPDATE OF revoked_at OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION notify_auth_state('session');

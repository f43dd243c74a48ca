-- Emails are kept in Unicode NFC (the service normalises what comes in, and sign-in looks up the NFC spelling), so
-- rows stored before that are brought into line: one per NFC spelling, and none whose NFC spelling another account
-- already holds (that one keeps its spelling and signs in by username; an admin settles which account keeps it).
UPDATE users SET email = normalize(users.email, NFC)
FROM (
  SELECT DISTINCT ON (lower(normalize(email, NFC))) id
  FROM users
  WHERE email IS NOT NFC NORMALIZED
  ORDER BY lower(normalize(email, NFC)), created_at, id
) AS first_of_spelling
WHERE users.id = first_of_spelling.id
  AND NOT EXISTS (
    SELECT 1 FROM users AS other
    WHERE other.id <> users.id AND lower(other.email) = lower(normalize(users.email, NFC))
  );

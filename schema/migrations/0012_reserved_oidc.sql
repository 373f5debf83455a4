-- 0012_reserved_oidc.sql - a placeholder on the saml branch only: the
-- number 0012 belongs to OpenID Connect, written on its own branch at the
-- same time.  The build wants the migrations without a gap, so this one
-- stands in for it until the merge, which drops this file for the real
-- 0012.  It changes nothing.
SELECT 1;

-- Fidelity with FusionAuth's documentation: each code tried against a pending two-factor login.
ALTER TABLE two_factor_challenges ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

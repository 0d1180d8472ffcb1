-- ASP.NET Core Data Protection's key ring (the keys behind antiforgery tokens), shared by every instance of the app:
-- a form rendered by one instance is posted to whichever instance nginx picks, on any machine.
CREATE TABLE data_protection_keys (
    name       VARCHAR(100) NOT NULL PRIMARY KEY,
    xml        TEXT         NOT NULL,
    created_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

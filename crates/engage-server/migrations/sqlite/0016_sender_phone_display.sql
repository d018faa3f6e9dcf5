-- A sender's number as people read it (`+55 11 98765-4321`), formatted once when the number
-- is written rather than on every read: libphonenumber's formatting loads its metadata on
-- first use (~170 ms), which the desktop sandbox's first campaign list paid at every launch
-- (issue 14). NULL for numbers written before this migration until Store::migrate fills them.
ALTER TABLE senders ADD COLUMN phone_display TEXT;

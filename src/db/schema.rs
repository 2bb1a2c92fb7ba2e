//! Diesel table definitions, shared by both backends. Ids are `BigInt` everywhere
//! (SQLite's rowid is 64-bit; Postgres uses BIGSERIAL).

diesel::table! {
    console_members (id) {
        id -> BigInt,
        email -> Text,
        email_lower -> Text,
        name -> Text,
        password_hash -> Text,
        country -> Text,
        member_type -> Text,
        locale -> Text,
        session_epoch -> BigInt,
        failed_logins -> Integer,
        failed_window_start -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    password_reset_tokens (id) {
        id -> BigInt,
        realm -> Text,
        account_id -> BigInt,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claim_token -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(console_members, password_reset_tokens, mail_outbox);

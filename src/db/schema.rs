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

diesel::table! {
    payment_methods (id) {
        id -> BigInt,
        member_id -> BigInt,
        brand -> Text,
        last4 -> Text,
        exp_month -> Integer,
        exp_year -> Integer,
        holder -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organizations (id) {
        id -> BigInt,
        public_id -> Text,
        member_id -> BigInt,
        name -> Text,
        oc_name -> Nullable<Text>,
        oc_name_lower -> Nullable<Text>,
        domain -> Nullable<Text>,
        oc_enabled -> Bool,
        oc_enabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        timezone -> Text,
        api_key_hash -> Nullable<Text>,
        api_key_prefix -> Nullable<Text>,
        require_2fa -> Bool,
        services_version -> BigInt,
        people_version -> BigInt,
    }
}

diesel::table! {
    org_members (id) {
        id -> BigInt,
        org_id -> BigInt,
        login_id -> Text,
        login_id_lower -> Text,
        name -> Text,
        email -> Text,
        phone -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        is_owner -> Bool,
        is_org_admin -> Bool,
        locale -> Text,
        accept_assignments -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        org_admin_since -> Nullable<Timestamp>,
        org_admin_granted_by -> Nullable<Text>,
    }
}

diesel::table! {
    services (id) {
        id -> BigInt,
        org_id -> BigInt,
        kind -> Text,
        name -> Text,
        service_id -> Text,
        service_id_lower -> Text,
        languages -> Text,
        timezone -> Text,
        editor -> Text,
        banner -> Nullable<Binary>,
        banner_type -> Nullable<Text>,
        status -> Text,
        terminated_on -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        latest_effective -> Nullable<Text>,
        latest_cost -> Nullable<BigInt>,
        company_info_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    contracts (id) {
        id -> BigInt,
        service_ref -> BigInt,
        effective_date -> Text,
        selection -> Text,
        monthly_cost -> BigInt,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    permission_logs (id) {
        id -> BigInt,
        org_id -> BigInt,
        at -> Timestamp,
        action -> Text,
        service_ref -> Nullable<BigInt>,
        actor_name -> Text,
        actor_login -> Text,
        target_name -> Text,
        target_login -> Text,
        before_value -> Text,
        after_value -> Text,
        ip -> Text,
        search_text -> Text,
        actor_ref -> Nullable<BigInt>,
        target_ref -> Nullable<BigInt>,
    }
}

diesel::table! {
    two_factor (realm, account_id) {
        realm -> Text,
        account_id -> BigInt,
        secret_enc -> Text,
        enabled_at -> Nullable<Timestamp>,
        last_step -> BigInt,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        realm -> Text,
        account_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    member_certificates (member_id) {
        member_id -> BigInt,
        content_type -> Text,
        file_name -> Text,
        bytes -> Binary,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    permission_log_people (id) {
        id -> BigInt,
        org_id -> BigInt,
        search_text -> Text,
    }
}

diesel::table! {
    /// SQLite only: the FTS5 trigram index over `permission_log_people.search_text`
    /// (Postgres has a pg_trgm index on the column itself).
    permission_log_people_trigrams (rowid) {
        rowid -> BigInt,
        search_text -> Text,
    }
}

diesel::joinable!(member_certificates -> console_members (member_id));
diesel::joinable!(services -> organizations (org_id));
diesel::joinable!(contracts -> services (service_ref));
diesel::joinable!(payment_methods -> console_members (member_id));
diesel::joinable!(organizations -> console_members (member_id));
diesel::joinable!(org_members -> organizations (org_id));

diesel::table! {
    service_members (id) {
        id -> BigInt,
        org_id -> BigInt,
        service_ref -> BigInt,
        member_id -> BigInt,
        role -> Text,
        phone -> Bool,
        chat -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        org_id -> BigInt,
        member_id -> BigInt,
        token_hash -> Text,
        expires_at -> Timestamp,
        invited_by -> Text,
        created_at -> Timestamp,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    company_infos (id) {
        id -> BigInt,
        org_id -> BigInt,
        company_name -> Text,
        representative -> Text,
        business_number -> Text,
        address -> Text,
        phone -> Text,
        email -> Text,
        copyright -> Text,
        terms -> Text,
        privacy -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_fields (id) {
        id -> BigInt,
        org_id -> BigInt,
        service_ref -> BigInt,
        field_key -> Text,
        kind -> Text,
        labels -> Text,
        required -> Bool,
        position -> Integer,
        active -> Bool,
        options -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        org_id -> BigInt,
        service_ref -> BigInt,
        number -> BigInt,
        title -> Text,
        description -> Text,
        status -> Text,
        priority -> Text,
        requester_name -> Text,
        requester_email -> Text,
        requester_phone -> Text,
        channel -> Text,
        assignee_id -> Nullable<BigInt>,
        tags -> Text,
        custom -> Text,
        created_by -> Nullable<BigInt>,
        source_upload -> Nullable<BigInt>,
        source_row -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    data_migrations (id) {
        id -> BigInt,
        org_id -> BigInt,
        service_ref -> BigInt,
        file_name -> Text,
        file_bytes -> Nullable<Binary>,
        rows_total -> Integer,
        rows_done -> Integer,
        status -> Text,
        scheduled_for -> Nullable<Timestamp>,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        imported -> Nullable<Integer>,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(data_migrations -> services (service_ref));
diesel::joinable!(tickets -> org_members (assignee_id));
diesel::joinable!(service_members -> services (service_ref));
diesel::joinable!(service_members -> org_members (member_id));
diesel::joinable!(invitations -> org_members (member_id));

diesel::table! {
    cti_settings (service_ref) {
        service_ref -> BigInt,
        org_id -> BigInt,
        version -> Text,
        tenant_id -> Text,
        tenant_name -> Text,
        mobile_contact -> Bool,
        log_monitoring -> Bool,
        after_call_batch -> Bool,
        ob_ticket_auto -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cti_agents (member_id) {
        member_id -> BigInt,
        org_id -> BigInt,
        cti_id -> Text,
        cti_no -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cti_events (id) {
        id -> BigInt,
        org_id -> BigInt,
        service_ref -> BigInt,
        member_id -> BigInt,
        event_id -> Text,
        channel -> Text,
        at -> Timestamp,
        cti_id -> Text,
        state -> Nullable<Text>,
        direction -> Nullable<Text>,
        phase -> Nullable<Text>,
        customer_number -> Nullable<Text>,
        wait_seconds -> Nullable<Integer>,
        talk_seconds -> Nullable<Integer>,
        cause -> Nullable<Text>,
        call_ref -> Nullable<BigInt>,
        ticket_id -> Nullable<BigInt>,
        source -> Text,
        logged -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(cti_events -> org_members (member_id));
diesel::joinable!(cti_agents -> org_members (member_id));

diesel::allow_tables_to_appear_in_same_query!(
    console_members,
    password_reset_tokens,
    mail_outbox,
    payment_methods,
    organizations,
    org_members,
    services,
    contracts,
    sessions,
    login_throttle,
    jobs,
    permission_logs,
    permission_log_people,
    permission_log_people_trigrams,
    member_certificates,
    two_factor,
    recovery_codes,
    service_members,
    invitations,
    company_infos,
    ticket_fields,
    tickets,
    data_migrations,
    cti_settings,
    cti_agents,
    cti_events,
);

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        realm -> Text,
        org_id -> Nullable<BigInt>,
        account_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        ip -> Text,
        user_agent -> Text,
    }
}

diesel::table! {
    login_throttle (id) {
        id -> BigInt,
        scope -> Text,
        key_hash -> Text,
        failed -> Integer,
        window_start -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        unique_key -> Nullable<Text>,
        run_at -> Timestamp,
        attempts -> Integer,
        max_attempts -> Integer,
        lease_until -> Nullable<Timestamp>,
        lease_token -> Nullable<Text>,
        status -> Text,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

// @generated automatically by Diesel CLI.

diesel::table! {
    api_clients (id) {
        client_id -> Text,
        countries -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
        disabled -> Bool,
        id -> Uuid,
        name -> Text,
        role -> Text,
        secret_digest -> Bytea,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    audit_log (id) {
        action -> Text,
        actor_id -> Nullable<Uuid>,
        actor_kind -> Text,
        actor_name -> Text,
        at -> Timestamptz,
        changes -> Jsonb,
        id -> Int8,
        request_id -> Nullable<Text>,
        supplier_id -> Uuid,
    }
}

diesel::table! {
    capabilities (code) {
        code -> Text,
        created_at -> Timestamptz,
        label_en -> Text,
        label_es -> Text,
        level -> Int2,
        parent -> Nullable<Text>,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    capability_industry_codes (capability, system, version, code) {
        capability -> Text,
        code -> Text,
        system -> Text,
        version -> Text,
    }
}

diesel::table! {
    certification_schemes (code) {
        code -> Text,
        name -> Text,
        scope -> Text,
    }
}

diesel::table! {
    change_events (id) {
        data -> Jsonb,
        id -> Int8,
        occurred_at -> Timestamptz,
        supplier_id -> Uuid,
        #[sql_name = "type"]
        type_ -> Text,
    }
}

diesel::table! {
    countries (code) {
        #[max_length = 2]
        code -> Bpchar,
        name -> Text,
    }
}

diesel::table! {
    idempotency_keys (caller, key) {
        body -> Jsonb,
        caller -> Text,
        created_at -> Timestamptz,
        etag -> Nullable<Text>,
        key -> Text,
        location -> Nullable<Text>,
        request_hash -> Bytea,
        status -> Int2,
    }
}

diesel::table! {
    import_errors (id) {
        field -> Text,
        id -> Int8,
        import_id -> Uuid,
        message -> Text,
        row -> Int4,
    }
}

diesel::table! {
    imports (id) {
        actor_countries -> Array<Nullable<Text>>,
        actor_id -> Uuid,
        actor_kind -> Text,
        actor_name -> Text,
        actor_role -> Text,
        attempts -> Int4,
        batches_done -> Array<Nullable<Int4>>,
        body -> Nullable<Bytea>,
        created -> Int4,
        created_at -> Timestamptz,
        failed -> Int4,
        finished_at -> Nullable<Timestamptz>,
        format -> Text,
        id -> Uuid,
        lease_until -> Nullable<Timestamptz>,
        request_id -> Nullable<Text>,
        rows_alone -> Array<Nullable<Int4>>,
        rows_done -> Int4,
        rows_total -> Nullable<Int4>,
        started_at -> Nullable<Timestamptz>,
        status -> Text,
        unchanged -> Int4,
        updated -> Int4,
    }
}

diesel::table! {
    login_failures (id) {
        failed_at -> Timestamptz,
        id -> Int8,
        key -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        family_id -> Uuid,
        id -> Uuid,
        revoked_at -> Nullable<Timestamptz>,
        rotated_at -> Nullable<Timestamptz>,
        scope -> Text,
        token_digest -> Bytea,
        user_id -> Uuid,
    }
}

diesel::table! {
    size_rules (id) {
        #[max_length = 2]
        country -> Nullable<Bpchar>,
        id -> Text,
        method -> Text,
        params -> Jsonb,
        source -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        verified -> Bool,
    }
}

diesel::table! {
    subdivisions (code) {
        code -> Text,
        #[max_length = 2]
        country -> Bpchar,
        kind -> Text,
        name -> Text,
    }
}

diesel::table! {
    supplier_capabilities (supplier_id, code) {
        code -> Text,
        details -> Nullable<Text>,
        parameters -> Nullable<Jsonb>,
        position -> Int2,
        supplier_id -> Uuid,
    }
}

diesel::table! {
    supplier_certifications (supplier_id, position) {
        expires_on -> Nullable<Date>,
        issued_on -> Nullable<Date>,
        issuer -> Nullable<Text>,
        number -> Nullable<Text>,
        position -> Int2,
        scheme -> Text,
        status -> Text,
        supplier_id -> Uuid,
    }
}

diesel::table! {
    supplier_contacts (supplier_id, position) {
        email -> Nullable<Text>,
        name -> Text,
        phone -> Nullable<Text>,
        position -> Int2,
        role -> Nullable<Text>,
        supplier_id -> Uuid,
    }
}

diesel::table! {
    supplier_external_refs (supplier_id, position) {
        position -> Int2,
        supplier_id -> Uuid,
        system -> Text,
        value -> Text,
    }
}

diesel::table! {
    supplier_owners (supplier_id, user_id) {
        created_at -> Timestamptz,
        supplier_id -> Uuid,
        user_id -> Uuid,
    }
}

diesel::table! {
    suppliers (id) {
        address -> Nullable<Text>,
        annual_sales_amount -> Nullable<Numeric>,
        #[max_length = 3]
        annual_sales_currency -> Nullable<Bpchar>,
        capability_codes -> Array<Nullable<Text>>,
        capability_list -> Array<Nullable<Text>>,
        certification_expiries -> Array<Nullable<Date>>,
        certification_schemes -> Array<Nullable<Text>>,
        city -> Nullable<Text>,
        #[max_length = 2]
        country -> Bpchar,
        created_at -> Timestamptz,
        employees -> Int4,
        founded_year -> Nullable<Int2>,
        id -> Uuid,
        lat -> Nullable<Float8>,
        legal_name -> Text,
        lon -> Nullable<Float8>,
        name_key -> Nullable<Text>,
        sector -> Text,
        size_class -> Text,
        size_rule -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        subdivision -> Nullable<Text>,
        tax_id -> Text,
        tax_id_check_ok -> Bool,
        trade_name -> Nullable<Text>,
        updated_at -> Timestamptz,
        verified_at -> Nullable<Timestamptz>,
        version -> Int4,
        website -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        countries -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
        disabled -> Bool,
        email -> Text,
        id -> Uuid,
        name -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    webhook_attempts (delivery_id, attempt) {
        attempt -> Int4,
        attempted_at -> Timestamptz,
        delivery_id -> Int8,
        duration_ms -> Int4,
        outcome -> Text,
        response_status -> Nullable<Int2>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        attempts -> Int4,
        created_at -> Timestamptz,
        event_id -> Int8,
        finished_at -> Nullable<Timestamptz>,
        id -> Int8,
        next_attempt_at -> Timestamptz,
        status -> Text,
        webhook_id -> Uuid,
    }
}

diesel::table! {
    webhooks (id) {
        created_at -> Timestamptz,
        events -> Array<Nullable<Text>>,
        id -> Uuid,
        owner_id -> Uuid,
        owner_kind -> Text,
        secret -> Text,
        status -> Text,
        url -> Text,
    }
}

diesel::joinable!(audit_log -> suppliers (supplier_id));
diesel::joinable!(capability_industry_codes -> capabilities (capability));
diesel::joinable!(change_events -> suppliers (supplier_id));
diesel::joinable!(import_errors -> imports (import_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(subdivisions -> countries (country));
diesel::joinable!(supplier_capabilities -> capabilities (code));
diesel::joinable!(supplier_capabilities -> suppliers (supplier_id));
diesel::joinable!(supplier_certifications -> certification_schemes (scheme));
diesel::joinable!(supplier_certifications -> suppliers (supplier_id));
diesel::joinable!(supplier_contacts -> suppliers (supplier_id));
diesel::joinable!(supplier_external_refs -> suppliers (supplier_id));
diesel::joinable!(supplier_owners -> suppliers (supplier_id));
diesel::joinable!(supplier_owners -> users (user_id));
diesel::joinable!(suppliers -> countries (country));
diesel::joinable!(suppliers -> size_rules (size_rule));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(webhook_deliveries -> change_events (event_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_clients,
    audit_log,
    capabilities,
    capability_industry_codes,
    certification_schemes,
    change_events,
    countries,
    idempotency_keys,
    import_errors,
    imports,
    login_failures,
    refresh_tokens,
    size_rules,
    subdivisions,
    supplier_capabilities,
    supplier_certifications,
    supplier_contacts,
    supplier_external_refs,
    supplier_owners,
    suppliers,
    users,
    webhook_attempts,
    webhook_deliveries,
    webhooks,
);

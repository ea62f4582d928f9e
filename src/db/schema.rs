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

diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(api_clients, login_failures, refresh_tokens, users,);

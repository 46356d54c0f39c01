//! Users, self-service sign-up, groups and ListUsers through the AWS SDK.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use aws_sdk_cognitoidentityprovider::types::{
    DeliveryMediumType, MessageActionType, UserStatusType,
};
use common::{POOL, attr, code, confirmed_user, message, start};

#[tokio::test]
async fn admin_create_get_update_delete() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let out = sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("ada@example.com")
        .user_attributes(attr("name", "Ada"))
        .desired_delivery_mediums(DeliveryMediumType::Email)
        .send()
        .await
        .unwrap();
    let user = out.user().unwrap();
    assert_eq!(
        user.user_status(),
        Some(&UserStatusType::ForceChangePassword)
    );
    let username = user.username().unwrap().to_owned();
    let sub = user
        .attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
        .unwrap()
        .to_owned();
    assert_eq!(
        username, sub,
        "pools with UsernameAttributes name users by their sub"
    );
    let temp = common::last_code(emu.url(), "ada@example.com").await;
    assert!(temp.len() >= 8);

    let got = sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username("ada@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(got.username(), username);
    assert!(
        got.user_attributes()
            .iter()
            .any(|a| a.name() == "email" && a.value() == Some("ada@example.com"))
    );

    let err = sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("ada@example.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UsernameExistsException");
    let err = sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("not-an-email")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("b@example.com")
        .user_attributes(attr("custom:nope", "1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert!(message(&err).contains("custom:nope"));

    sdk.admin_update_user_attributes()
        .user_pool_id(POOL)
        .username(&username)
        .user_attributes(attr("given_name", "Ada"))
        .send()
        .await
        .unwrap();
    sdk.admin_delete_user_attributes()
        .user_pool_id(POOL)
        .username(&username)
        .user_attribute_names("given_name")
        .send()
        .await
        .unwrap();
    let err = sdk
        .admin_delete_user_attributes()
        .user_pool_id(POOL)
        .username(&username)
        .user_attribute_names("sub")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");

    sdk.admin_disable_user()
        .user_pool_id(POOL)
        .username(&username)
        .send()
        .await
        .unwrap();
    assert!(
        !sdk.admin_get_user()
            .user_pool_id(POOL)
            .username(&username)
            .send()
            .await
            .unwrap()
            .enabled()
    );
    sdk.admin_enable_user()
        .user_pool_id(POOL)
        .username(&username)
        .send()
        .await
        .unwrap();

    let err = sdk
        .admin_set_user_password()
        .user_pool_id(POOL)
        .username(&username)
        .password("short")
        .permanent(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPasswordException");
    assert_eq!(
        message(&err),
        "Password did not conform with policy: Password not long enough"
    );
    sdk.admin_set_user_password()
        .user_pool_id(POOL)
        .username(&username)
        .password("Sup3r-secret")
        .permanent(true)
        .send()
        .await
        .unwrap();
    let got = sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username(&username)
        .send()
        .await
        .unwrap();
    assert_eq!(got.user_status(), Some(&UserStatusType::Confirmed));

    sdk.admin_delete_user()
        .user_pool_id(POOL)
        .username(&username)
        .send()
        .await
        .unwrap();
    let err = sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username(&username)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "UserNotFoundException".into(),
            "User does not exist.".into()
        )
    );
}

#[tokio::test]
async fn sign_up_confirm_and_forgot_password() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let out = sdk
        .sign_up()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .password("Passw0rd!")
        .send()
        .await
        .unwrap();
    assert!(!out.user_confirmed());
    assert_eq!(
        out.code_delivery_details().unwrap().destination(),
        Some("s***@e***")
    );
    let err = sdk
        .sign_up()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .password("Passw0rd!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UsernameExistsException");
    let err = sdk
        .confirm_sign_up()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .confirmation_code("000000x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "CodeMismatchException");

    sdk.resend_confirmation_code()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .send()
        .await
        .unwrap();
    let c = common::last_code(emu.url(), "sam@example.com").await;
    sdk.confirm_sign_up()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .confirmation_code(&c)
        .send()
        .await
        .unwrap();
    let err = sdk
        .confirm_sign_up()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .confirmation_code(&c)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotAuthorizedException");
    let u = sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username("sam@example.com")
        .send()
        .await
        .unwrap();
    assert!(
        u.user_attributes()
            .iter()
            .any(|a| a.name() == "email_verified" && a.value() == Some("true"))
    );

    sdk.forgot_password()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .send()
        .await
        .unwrap();
    let c = common::last_code(emu.url(), "sam@example.com").await;
    let err = sdk
        .confirm_forgot_password()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .confirmation_code(&c)
        .password("weak")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPasswordException");
    sdk.confirm_forgot_password()
        .client_id(common::CLIENT)
        .username("sam@example.com")
        .confirmation_code(&c)
        .password("N3w-passw0rd")
        .send()
        .await
        .unwrap();
    let err = sdk
        .forgot_password()
        .client_id(common::CLIENT)
        .username("nobody@example.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UserNotFoundException");
    let err = sdk
        .sign_up()
        .client_id("nosuchclient")
        .username("x@example.com")
        .password("Passw0rd!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    sdk.sign_up()
        .client_id(common::CLIENT)
        .username("una@example.com")
        .password("Passw0rd!")
        .send()
        .await
        .unwrap();
    sdk.admin_confirm_sign_up()
        .user_pool_id(POOL)
        .username("una@example.com")
        .send()
        .await
        .unwrap();
    let err = sdk
        .admin_confirm_sign_up()
        .user_pool_id(POOL)
        .username("una@example.com")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotAuthorizedException");
}

#[tokio::test]
async fn groups_and_membership() {
    let emu = start().await;
    let sdk = &emu.sdk;
    let user = confirmed_user(sdk, "gus@example.com", "Passw0rd!").await;
    sdk.create_group()
        .user_pool_id(POOL)
        .group_name("admins")
        .description("Admins")
        .precedence(1)
        .send()
        .await
        .unwrap();
    sdk.create_group()
        .user_pool_id(POOL)
        .group_name("readers")
        .send()
        .await
        .unwrap();
    let err = sdk
        .create_group()
        .user_pool_id(POOL)
        .group_name("admins")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "GroupExistsException");
    assert_eq!(
        sdk.get_group()
            .user_pool_id(POOL)
            .group_name("admins")
            .send()
            .await
            .unwrap()
            .group()
            .unwrap()
            .precedence(),
        Some(1)
    );
    assert_eq!(
        sdk.list_groups()
            .user_pool_id(POOL)
            .limit(1)
            .send()
            .await
            .unwrap()
            .groups()
            .len(),
        1
    );

    sdk.admin_add_user_to_group()
        .user_pool_id(POOL)
        .username(&user)
        .group_name("admins")
        .send()
        .await
        .unwrap();
    sdk.admin_add_user_to_group()
        .user_pool_id(POOL)
        .username("gus@example.com")
        .group_name("readers")
        .send()
        .await
        .unwrap();
    let groups = sdk
        .admin_list_groups_for_user()
        .user_pool_id(POOL)
        .username(&user)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = groups
        .groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    assert_eq!(names, ["admins", "readers"]);
    let members = sdk
        .list_users_in_group()
        .user_pool_id(POOL)
        .group_name("admins")
        .send()
        .await
        .unwrap();
    assert_eq!(members.users()[0].username(), Some(user.as_str()));
    sdk.admin_remove_user_from_group()
        .user_pool_id(POOL)
        .username(&user)
        .group_name("admins")
        .send()
        .await
        .unwrap();
    assert!(
        sdk.list_users_in_group()
            .user_pool_id(POOL)
            .group_name("admins")
            .send()
            .await
            .unwrap()
            .users()
            .is_empty()
    );
    let err = sdk
        .admin_add_user_to_group()
        .user_pool_id(POOL)
        .username(&user)
        .group_name("ghosts")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    sdk.delete_group()
        .user_pool_id(POOL)
        .group_name("readers")
        .send()
        .await
        .unwrap();
    assert!(
        sdk.admin_list_groups_for_user()
            .user_pool_id(POOL)
            .username(&user)
            .send()
            .await
            .unwrap()
            .groups()
            .is_empty()
    );
}

#[tokio::test]
async fn list_users_filters_attributes_and_pages() {
    let emu = start().await;
    let sdk = &emu.sdk;
    for (i, email) in ["ann@a.io", "anna@a.io", "bob@b.io", "quote\"d@c.io"]
        .iter()
        .enumerate()
    {
        sdk.admin_create_user()
            .user_pool_id(POOL)
            .username(*email)
            .user_attributes(attr("name", &format!("User {i}")))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
    }
    let emails = |out: &aws_sdk_cognitoidentityprovider::operation::list_users::ListUsersOutput| -> Vec<String> {
        out.users().iter().flat_map(|u| u.attributes()).filter(|a| a.name() == "email").filter_map(|a| a.value().map(str::to_owned)).collect()
    };
    let cases = [
        (r#"email = "ann@a.io""#, vec!["ann@a.io"]),
        (r#"email ^= "ann""#, vec!["ann@a.io", "anna@a.io"]),
        (r#"email="quote\"d@c.io""#, vec!["quote\"d@c.io"]),
        (
            r#"name ^= "User ""#,
            vec!["ann@a.io", "anna@a.io", "bob@b.io", "quote\"d@c.io"],
        ),
        (
            r#"cognito:user_status = "force_change_password""#,
            vec!["ann@a.io", "anna@a.io", "bob@b.io", "quote\"d@c.io"],
        ),
        (r#"status = "Disabled""#, vec![]),
        (r#"email = "ANN@A.IO""#, vec![]),
    ];
    for (filter, expected) in cases {
        let out = sdk
            .list_users()
            .user_pool_id(POOL)
            .filter(filter)
            .send()
            .await
            .unwrap();
        assert_eq!(emails(&out), expected, "{filter}");
    }
    let out = sdk
        .list_users()
        .user_pool_id(POOL)
        .attributes_to_get("email")
        .limit(3)
        .send()
        .await
        .unwrap();
    assert_eq!(out.users().len(), 3);
    assert!(out.users().iter().all(|u| u.attributes().len() == 1));
    let token = out.pagination_token().unwrap().to_owned();
    let rest = sdk
        .list_users()
        .user_pool_id(POOL)
        .pagination_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(rest.users().len(), 1);
    assert!(rest.pagination_token().is_none());

    for (filter, msg) in [
        (
            r#"custom:tier = "gold""#,
            "Invalid search attribute: custom:tier",
        ),
        (r#"email = ann"#, "Error while parsing filter."),
    ] {
        let err = sdk
            .list_users()
            .user_pool_id(POOL)
            .filter(filter)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            (code(&err), message(&err)),
            ("InvalidParameterException".into(), msg.into()),
            "{filter}"
        );
    }
    let long = format!("email = \"{}\"", "a".repeat(250));
    let err = sdk
        .list_users()
        .user_pool_id(POOL)
        .filter(long)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sdk
        .list_users()
        .user_pool_id(POOL)
        .limit(61)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sdk
        .list_users()
        .user_pool_id(POOL)
        .attributes_to_get("custom:none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sdk
        .list_users()
        .user_pool_id(POOL)
        .pagination_token("garbage!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert!(
        sdk.list_users()
            .user_pool_id(POOL)
            .limit(0)
            .send()
            .await
            .unwrap()
            .users()
            .is_empty()
    );
}

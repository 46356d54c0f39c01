//! Cognito's error vocabulary: the exception names AWS SDKs read from `__type`, and messages.

use std::fmt;

/// The AWS exception names the emulator answers with (`__type` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    AccessDenied,
    AliasExists,
    CodeMismatch,
    ConcurrentModification,
    DuplicateProvider,
    EnableSoftwareTokenMfa,
    ExpiredCode,
    GroupExists,
    InternalError,
    InvalidLambdaResponse,
    InvalidParameter,
    InvalidPassword,
    LimitExceeded,
    NotAuthorized,
    PasswordResetRequired,
    ResourceNotFound,
    ScopeDoesNotExist,
    SoftwareTokenMfaNotFound,
    Serialization,
    TooManyRequests,
    UnexpectedLambda,
    UnknownOperation,
    UnsupportedIdentityProvider,
    UnsupportedTokenType,
    UnsupportedUserState,
    UserLambdaValidation,
    UserNotConfirmed,
    UserNotFound,
    UsernameExists,
    UserPoolTagging,
    WebAuthnChallengeNotFound,
    WebAuthnClientMismatch,
    WebAuthnConfigurationMissing,
    WebAuthnCredentialNotSupported,
    WebAuthnNotEnabled,
    WebAuthnOriginNotAllowed,
    WebAuthnRelyingPartyMismatch,
}

impl Exception {
    pub fn name(self) -> &'static str {
        use Exception::*;
        match self {
            AccessDenied => "AccessDeniedException",
            AliasExists => "AliasExistsException",
            CodeMismatch => "CodeMismatchException",
            ConcurrentModification => "ConcurrentModificationException",
            DuplicateProvider => "DuplicateProviderException",
            EnableSoftwareTokenMfa => "EnableSoftwareTokenMFAException",
            ExpiredCode => "ExpiredCodeException",
            GroupExists => "GroupExistsException",
            InternalError => "InternalErrorException",
            InvalidLambdaResponse => "InvalidLambdaResponseException",
            InvalidParameter => "InvalidParameterException",
            InvalidPassword => "InvalidPasswordException",
            LimitExceeded => "LimitExceededException",
            NotAuthorized => "NotAuthorizedException",
            PasswordResetRequired => "PasswordResetRequiredException",
            ResourceNotFound => "ResourceNotFoundException",
            ScopeDoesNotExist => "ScopeDoesNotExistException",
            SoftwareTokenMfaNotFound => "SoftwareTokenMFANotFoundException",
            Serialization => "SerializationException",
            TooManyRequests => "TooManyRequestsException",
            UnexpectedLambda => "UnexpectedLambdaException",
            UnknownOperation => "UnknownOperationException",
            UnsupportedIdentityProvider => "UnsupportedIdentityProviderException",
            UnsupportedTokenType => "UnsupportedTokenTypeException",
            UnsupportedUserState => "UnsupportedUserStateException",
            UserLambdaValidation => "UserLambdaValidationException",
            UserNotConfirmed => "UserNotConfirmedException",
            UserNotFound => "UserNotFoundException",
            UsernameExists => "UsernameExistsException",
            UserPoolTagging => "UserPoolTaggingException",
            WebAuthnChallengeNotFound => "WebAuthnChallengeNotFoundException",
            WebAuthnClientMismatch => "WebAuthnClientMismatchException",
            WebAuthnConfigurationMissing => "WebAuthnConfigurationMissingException",
            WebAuthnCredentialNotSupported => "WebAuthnCredentialNotSupportedException",
            WebAuthnNotEnabled => "WebAuthnNotEnabledException",
            WebAuthnOriginNotAllowed => "WebAuthnOriginNotAllowedException",
            WebAuthnRelyingPartyMismatch => "WebAuthnRelyingPartyMismatchException",
        }
    }

    /// The HTTP status AWS uses: 400 for client faults, 500 for `InternalErrorException`.
    pub fn status(self) -> u16 {
        match self {
            Exception::InternalError => 500,
            _ => 400,
        }
    }
}

/// An error of the user-pool service: an exception name and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoError {
    pub exception: Exception,
    pub message: String,
    /// Which check failed, where AWS's message does not say (e.g. "Invalid Access Token"):
    /// journaled with the rejection, never sent.
    pub check: Option<String>,
}

pub type Result<T> = std::result::Result<T, CognitoError>;

impl CognitoError {
    pub fn new(exception: Exception, message: impl Into<String>) -> Self {
        Self {
            exception,
            message: message.into(),
            check: None,
        }
    }
    /// The same error, naming the failed check for the journal.
    pub fn with_check(self, check: impl Into<String>) -> Self {
        Self {
            check: Some(check.into()),
            ..self
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Exception::InvalidParameter, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Exception::ResourceNotFound, message)
    }
    pub fn pool_not_found(pool_id: &str) -> Self {
        Self::not_found(format!("User pool {pool_id} does not exist."))
    }
    pub fn client_not_found(client_id: &str) -> Self {
        Self::not_found(format!("User pool client {client_id} does not exist."))
    }
    pub fn user_not_found() -> Self {
        Self::new(Exception::UserNotFound, "User does not exist.")
    }
    pub fn not_authorized(message: impl Into<String>) -> Self {
        Self::new(Exception::NotAuthorized, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Exception::InternalError, message)
    }
    /// AWS's constraint-violation wording, e.g. for a missing required member.
    pub fn validation(member: &str, value: &str, constraint: &str) -> Self {
        Self::invalid(format!(
            "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ))
    }
}

impl fmt::Display for CognitoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception.name(), self.message)
    }
}

impl std::error::Error for CognitoError {}

impl From<crate::store::StoreError> for CognitoError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            // A write lost a race for a value one user may hold (the uniqueness index).
            crate::store::StoreError::Conflict(_) => Self::new(
                Exception::AliasExists,
                "An account with the given email, phone number or preferred username already exists.",
            ),
            e => Self::internal(format!("storage failure: {e}")),
        }
    }
}

"""Display names of codes several screens show: identity documents, genders and account statuses."""

from teller.i18n import N_

ID_TYPE_NAMES = {"resident_id": N_("Resident ID"), "uscc": N_("Unified social credit code"),
                 "passport": N_("Passport")}
GENDER_NAMES = {"male": N_("Male"), "female": N_("Female")}
ACCOUNT_STATUS_NAMES = {"open": N_("Open"), "frozen": N_("Frozen"), "closed": N_("Closed")}

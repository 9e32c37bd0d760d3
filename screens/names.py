"""Display names of codes several screens show: instruction kinds, identity documents, account statuses."""

from teller.i18n import N_

ID_TYPE_NAMES = {"resident_id": N_("Resident ID"), "uscc": N_("Unified social credit code"),
                 "passport": N_("Passport")}
ACCOUNT_STATUS_NAMES = {"open": N_("Open"), "frozen": N_("Frozen"), "closed": N_("Closed")}
INSTRUCTION_KIND_NAMES = {
    "cash_deposit": N_("Cash deposit"), "cash_withdrawal": N_("Cash withdrawal"), "transfer": N_("Transfer"),
    "vault_to_drawer": N_("Vault to drawer"), "drawer_to_vault": N_("Drawer to vault"),
    "loan_disbursement": N_("Loan disbursement"), "loan_repayment": N_("Loan repayment"),
    "fee_waiver": N_("Fee waiver"), "reversal": N_("Reversal"), "void": N_("Void"), "write_off": N_("Write-off"),
    "over_short": N_("Over/short adjustment"),
}

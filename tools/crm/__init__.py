"""CRM adapter: customers, tickets and notes (protocol, embedded and HTTP implementations)."""

from tools.crm.embedded import EmbeddedCrm
from tools.crm.http import HttpCrm
from tools.crm.protocol import CrmTools

__all__ = ["CrmTools", "EmbeddedCrm", "HttpCrm"]

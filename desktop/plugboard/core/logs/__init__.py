"""Log lines of a connector: redaction, the files Plugboard writes, Claude Desktop's own logs, the merged model.

Depends on secrets only (for masking); knows nothing of how a server is started (launch, probe) or bridged.
"""

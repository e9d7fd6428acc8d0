"""Archive retrievers: arc5gl, CIAO's download_chandra_obsid, the HTTPS archive."""

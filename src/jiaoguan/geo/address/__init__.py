"""Standard addresses (标准地址), administrative divisions and the messy-address matcher."""

# an imported file with a setting: not allowed
fronting allow

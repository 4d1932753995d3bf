# an imported file with a setting: not allowed
uninspectable allow

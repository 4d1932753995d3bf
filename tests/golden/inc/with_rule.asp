# an imported file with a rule: not allowed
list x = ["a"]
rule r { on connect deny }

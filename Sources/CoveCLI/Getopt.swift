/// getopt_long(3) with util-linux's "+" mode, for the namespace tools: options stop at the first operand,
/// long options may be abbreviated to a unique prefix, and some take an optional `=VALUE`
/// (`--mount[=FILE]`), which swift-argument-parser cannot express.
struct Getopt {
    enum Argument { case none, required, optional }

    struct Option {
        var long: String
        var short: Character?
        var argument: Argument = .none
        var valueName: String = ""
        var help: String

        init(_ long: String, _ short: Character? = nil, _ argument: Argument = .none, _ valueName: String = "", _ help: String) {
            self.long = long
            self.short = short
            self.argument = argument
            self.valueName = valueName
            self.help = help
        }
    }

    struct Parsed {
        var options: [(name: String, value: String?)] = []
        var operands: [String] = []
    }

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    let options: [Option]
    /// nsenter lets `-nFILE` name a file; unshare's short options take no value (`-Ur` is `-U -r`).
    var shortOptionalValues = true

    func parse(_ args: [String]) throws -> Parsed {
        var result = Parsed()
        var i = 0
        while i < args.count {
            let arg = args[i]
            i += 1
            if arg == "--" {
                result.operands = Array(args[i...])
                return result
            }
            if arg.hasPrefix("--") {
                let body = arg.dropFirst(2)
                let name = String(body.prefix(while: { $0 != "=" }))
                let inline: String? = body.contains("=") ? String(body.drop(while: { $0 != "=" }).dropFirst()) : nil
                let opt = try lookup(long: name, as: arg)
                switch opt.argument {
                case .none:
                    if inline != nil { throw UsageError(description: "option '--\(opt.long)' doesn't allow an argument") }
                    result.options.append((opt.long, nil))
                case .optional:
                    result.options.append((opt.long, inline))
                case .required:
                    if let inline {
                        result.options.append((opt.long, inline))
                    } else if i < args.count {
                        result.options.append((opt.long, args[i]))
                        i += 1
                    } else {
                        throw UsageError(description: "option '--\(opt.long)' requires an argument")
                    }
                }
            } else if arg.hasPrefix("-") && arg.count > 1 {
                var chars = Substring(arg.dropFirst())
                while let c = chars.first {
                    chars = chars.dropFirst()
                    guard let opt = options.first(where: { $0.short == c }) else {
                        throw UsageError(description: "invalid option -- '\(c)'")
                    }
                    switch opt.argument {
                    case .none:
                        result.options.append((opt.long, nil))
                        continue
                    case .optional:
                        guard shortOptionalValues else {
                            result.options.append((opt.long, nil))
                            continue
                        }
                        result.options.append((opt.long, chars.isEmpty ? nil : String(chars)))
                    case .required:
                        if !chars.isEmpty {
                            result.options.append((opt.long, String(chars)))
                        } else if i < args.count {
                            result.options.append((opt.long, args[i]))
                            i += 1
                        } else {
                            throw UsageError(description: "option requires an argument -- '\(c)'")
                        }
                    }
                    break
                }
            } else {
                result.operands = Array(args[(i - 1)...])
                return result
            }
        }
        return result
    }

    private func lookup(long name: String, as written: String) throws -> Option {
        if let exact = options.first(where: { $0.long == name }) { return exact }
        let candidates = options.filter { $0.long.hasPrefix(name) }
        if candidates.count == 1 { return candidates[0] }
        if candidates.isEmpty { throw UsageError(description: "unrecognized option '\(written)'") }
        throw UsageError(description: "option '\(written)' is ambiguous; possibilities: " + candidates.map { "'--\($0.long)'" }.joined(separator: " "))
    }

    /// The help text: usage line, then one line per option.
    func help(usage: String, summary: String) -> String {
        var out = "Usage:\n \(usage)\n\n\(summary)\n\nOptions:\n"
        for o in options {
            var left = o.short.map { " -\($0), " } ?? "     "
            left += "--\(o.long)"
            switch o.argument {
            case .none: break
            case .required: left += " \(o.valueName)"
            case .optional: left += "[=\(o.valueName)]"
            }
            let pad = left.count < 32 ? String(repeating: " ", count: 32 - left.count) : "  "
            out += left + pad + o.help + "\n"
        }
        return out
    }
}

// The three container types of `JSONTreeDecoder`. Every concrete overload is written out because the
// Decoding protocols require them; each is one call into `Unbox`.

struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: JSONValue]
    let codingPath: [CodingKey]
    let visit: KeyTracker.Visit?
    let tracker: KeyTracker?

    var allKeys: [Key] {
        visit?.asked.formUnion(object.keys)
        return object.keys.compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool {
        visit?.asked.insert(key.stringValue)
        return object[key.stringValue] != nil
    }

    func value(_ key: Key) throws -> JSONValue {
        visit?.asked.insert(key.stringValue)
        guard let v = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key) == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try Unbox.bool(value(key), codingPath + [key]) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try Unbox.string(value(key), codingPath + [key]) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try Unbox.double(value(key), codingPath + [key]) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try Unbox.double(value(key), codingPath + [key])) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try Unbox.integer(value(key), type, codingPath + [key]) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try Unbox.integer(value(key), type, codingPath + [key]) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try JSONTreeDecoder.decode(type, from: value(key), path: codingPath + [key], tracker: tracker)
    }

    /// One lookup instead of the default's contains + decodeNil + decode.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        visit?.asked.insert(key.stringValue)
        guard let v = object[key.stringValue], v != .null else { return nil }
        return try JSONTreeDecoder.decode(type, from: v, path: codingPath + [key], tracker: tracker)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONTreeDecoder(value: value(key), codingPath: codingPath + [key], tracker: tracker).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try JSONTreeDecoder(value: value(key), codingPath: codingPath + [key], tracker: tracker).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        JSONTreeDecoder(value: .object(object), codingPath: codingPath, tracker: tracker)
    }

    func superDecoder(forKey key: Key) throws -> Decoder {
        JSONTreeDecoder(value: (try? value(key)) ?? .null, codingPath: codingPath + [key], tracker: tracker)
    }
}

struct UnkeyedContainer: UnkeyedDecodingContainer {
    let array: [JSONValue]
    let codingPath: [CodingKey]
    let tracker: KeyTracker?
    var currentIndex = 0

    init(array: [JSONValue], codingPath: [CodingKey], tracker: KeyTracker?) {
        self.array = array
        self.codingPath = codingPath
        self.tracker = tracker
    }

    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    mutating func next<T>(_ type: T.Type) throws -> (JSONValue, [CodingKey]) {
        let path = codingPath + [IndexKey(currentIndex)]
        guard !isAtEnd else { throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "at the end of the array")) }
        defer { currentIndex += 1 }
        return (array[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, array[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { let (v, p) = try next(type); return try Unbox.bool(v, p) }
    mutating func decode(_ type: String.Type) throws -> String { let (v, p) = try next(type); return try Unbox.string(v, p) }
    mutating func decode(_ type: Double.Type) throws -> Double { let (v, p) = try next(type); return try Unbox.double(v, p) }
    mutating func decode(_ type: Float.Type) throws -> Float { let (v, p) = try next(type); return Float(try Unbox.double(v, p)) }
    mutating func decode(_ type: Int.Type) throws -> Int { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let (v, p) = try next(type); return try Unbox.integer(v, type, p) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, p) = try next(type)
        return try JSONTreeDecoder.decode(type, from: v, path: p, tracker: tracker)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, p) = try next([String: Any].self)
        return try JSONTreeDecoder(value: v, codingPath: p, tracker: tracker).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        let (v, p) = try next([Any].self)
        return try JSONTreeDecoder(value: v, codingPath: p, tracker: tracker).unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder {
        let (v, p) = try next(Any.self)
        return JSONTreeDecoder(value: v, codingPath: p, tracker: tracker)
    }
}

struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [CodingKey]
    let tracker: KeyTracker?

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try Unbox.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try Unbox.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try Unbox.double(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try Unbox.double(value, codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Unbox.integer(value, type, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Unbox.integer(value, type, codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONTreeDecoder.decode(type, from: value, path: codingPath, tracker: tracker)
    }
}

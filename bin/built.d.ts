// Types of bin/built.js (plain JavaScript: the command must start before any TypeScript loader).
export declare const BUILT: string;
export declare const DIST: string;
export declare function builtIsCurrent(): boolean;
export declare function inputsHash(): string;

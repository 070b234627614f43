// The functions a V8 CPU profile (node --cpu-prof) spent most of its samples in, by self time.
import { readFile } from 'node:fs/promises'

type ProfileNode = { id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }
type Profile = { nodes: ProfileNode[]; samples: number[] }

export type Hotspot = { function: string; location: string; selfShare: number }

/** The `top` functions by self time, each with its share of all samples (idle and GC included). */
export async function hotspots(profileFile: string, top = 20): Promise<Hotspot[]> {
  const profile = JSON.parse(await readFile(profileFile, 'utf8')) as Profile
  const samplesPerNode = new Map<number, number>()
  for (const id of profile.samples) samplesPerNode.set(id, (samplesPerNode.get(id) ?? 0) + 1)
  const perFunction = new Map<string, Hotspot>()
  for (const node of profile.nodes) {
    const samples = samplesPerNode.get(node.id) ?? 0
    if (samples === 0) continue
    const { functionName, url, lineNumber } = node.callFrame
    const location = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|dist)\//, '$1/')}:${lineNumber + 1}` : ''
    const key = `${functionName}@${location}`
    const entry = perFunction.get(key) ?? { function: functionName || '(anonymous)', location, selfShare: 0 }
    entry.selfShare += samples / profile.samples.length
    perFunction.set(key, entry)
  }
  return [...perFunction.values()].sort((a, b) => b.selfShare - a.selfShare).slice(0, top)
}

type ProfileTreeNode = ProfileNode & { children?: number[] }

export type PackageShare = { owner: string; busyShare: number }

/**
 * Busy time (idle left out) by who spent it: a package under node_modules, one of the project's files, a
 * Node built-in module, or the garbage collector. Native frames (socket writes, buffers) count for the
 * JavaScript that called them, marked "(native)".
 */
export async function busyTimeByOwner(profileFile: string, top = 15): Promise<PackageShare[]> {
  const profile = JSON.parse(await readFile(profileFile, 'utf8')) as { nodes: ProfileTreeNode[]; samples: number[] }
  const parentOf = new Map<number, ProfileTreeNode>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node)
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const ownerOf = (node: ProfileTreeNode): string => {
    const { url, functionName } = node.callFrame
    const inPackage = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)
    if (inPackage) return inPackage[1]
    return url.startsWith('node:') ? url : url.replace(/^.*\/(src|dist)\//, '$1/') || functionName
  }
  const shares = new Map<string, number>()
  let busy = 0
  for (const id of profile.samples) {
    const node = nodes.get(id)!
    if (node.callFrame.functionName === '(idle)') continue
    busy++
    let caller: ProfileTreeNode | undefined = node
    while (caller && !caller.callFrame.url && !caller.callFrame.functionName.startsWith('(')) caller = parentOf.get(caller.id)
    const owner = caller ? `${ownerOf(caller)}${caller === node ? '' : ' (native)'}` : ownerOf(node)
    shares.set(owner, (shares.get(owner) ?? 0) + 1)
  }
  return [...shares]
    .map(([owner, samples]) => ({ owner, busyShare: samples / busy }))
    .sort((a, b) => b.busyShare - a.busyShare)
    .slice(0, top)
}
